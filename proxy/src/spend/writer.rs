//! The spend writer: requests hand it their spend row and go on; it writes rows and running
//! totals in batches, in order with spend resets, and flushes everything at shutdown.
//!
//! The database may go away (a PostgreSQL restart, a network cut). The writer then keeps the
//! rows in memory, bounded by `backlog_rows`, and retries with backoff; writes run beside the
//! queue, so a slow or dead database never holds requests up. Past the bound, the newest rows
//! are folded into per-key/team/user totals: budgets and spend stay exact, only the detail of
//! those calls is lost (counted and logged). A clean stop writes what is queued; a crash loses
//! at most the rows of one flush interval.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::store::{Entity, SpendLog, Store, StoreError, Totals};

/// Rows written per transaction at most.
const MAX_BATCH: usize = 1000;
/// Messages waiting for the writer task; it drains them continuously (database work runs
/// beside it), so this fills only if the task itself is starved.
const CHANNEL_CAPACITY: usize = 65_536;
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(10);
/// How long a clean stop keeps trying to write what is left.
const STOP_DEADLINE: Duration = Duration::from_secs(15);
/// How long a reader waits for earlier rows to be written before it reads anyway.
const FLUSH_WAIT: Duration = Duration::from_secs(5);
/// Messages taken per wake-up of the writer.
const RECEIVE_BURST: usize = 256;

pub enum WriterMessage {
    Log(Box<SpendLog>),
    /// Sets an entity's spend (a budget period ended, or an admin set it), after every row sent
    /// before; `done` is answered once it is in the database.
    SetSpend {
        entity: Entity,
        id: String,
        spend: f64,
        reset_at: Option<String>,
        done: Option<oneshot::Sender<()>>,
    },
    Flush(oneshot::Sender<()>),
    Stop(oneshot::Sender<()>),
}

/// What the writer is up to, for `/switchboard/info` and the logs.
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct WriterStatus {
    /// Rows waiting to be written.
    pub backlog_rows: u64,
    /// Rows whose detail was given up (the backlog was full); their spend was still counted.
    pub rows_folded: u64,
    /// The last write failed; rows are kept and retried.
    pub database_unavailable: bool,
    pub last_error: Option<String>,
}

#[derive(Default)]
struct Shared {
    backlog_rows: AtomicU64,
    rows_folded: AtomicU64,
    unavailable: AtomicBool,
    last_error: Mutex<Option<String>>,
    /// Spend of rows the channel could not take (the writer task was starved).
    overflow: Mutex<Totals>,
}

/// Where the request path sends spend; never blocks.
#[derive(Clone)]
pub struct SpendSink {
    tx: mpsc::Sender<WriterMessage>,
    shared: Arc<Shared>,
}

impl SpendSink {
    pub fn send(&self, message: WriterMessage) {
        match self.tx.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(WriterMessage::Log(mut log))) => {
                log.scrub_nul();
                self.shared.overflow.lock().add(&log);
                self.shared.rows_folded.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::error!("spend writer queue is full; a spend reset was not recorded")
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("spend writer is gone; a spend row was not recorded")
            }
        }
    }

    /// Sets an entity's spend in order with the rows before it, and waits until it is written
    /// (or the database is unavailable for longer than a reader waits).
    pub async fn set_spend(&self, entity: Entity, id: &str, spend: f64, reset_at: Option<String>) -> bool {
        let (done, written) = oneshot::channel();
        let message = WriterMessage::SetSpend { entity, id: id.to_string(), spend, reset_at, done: Some(done) };
        if self.tx.send(message).await.is_err() {
            return false;
        }
        matches!(tokio::time::timeout(FLUSH_WAIT, written).await, Ok(Ok(())))
    }

    /// Waits until everything sent before is in the database, for at most a few seconds (while
    /// the database is away, a reader reads what is there rather than hang).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(WriterMessage::Flush(tx)).await.is_ok() {
            let _ = tokio::time::timeout(FLUSH_WAIT, rx).await;
        }
    }

    pub fn status(&self) -> WriterStatus {
        WriterStatus {
            backlog_rows: self.shared.backlog_rows.load(Ordering::Relaxed),
            rows_folded: self.shared.rows_folded.load(Ordering::Relaxed),
            database_unavailable: self.shared.unavailable.load(Ordering::Relaxed),
            last_error: self.shared.last_error.lock().clone(),
        }
    }
}

pub struct SpendWriter {
    sink: SpendSink,
    task: JoinHandle<()>,
}

impl SpendWriter {
    /// Starts the writer: rows are written every `interval`; at most `backlog_rows` are kept
    /// while the database cannot take them.
    pub fn spawn(store: Store, interval: Duration, backlog_rows: usize) -> SpendWriter {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let shared = Arc::new(Shared::default());
        let writer = Writer {
            store,
            queue: VecDeque::new(),
            queued_rows: 0,
            waiters: 0,
            backlog_cap: backlog_rows.max(1),
            shared: shared.clone(),
            failures: 0,
            retry_at: None,
        };
        let task = tokio::spawn(writer.run(rx, interval));
        SpendWriter { sink: SpendSink { tx, shared }, task }
    }

    pub fn sink(&self) -> SpendSink {
        self.sink.clone()
    }

    /// Writes everything queued, then stops.
    pub async fn shutdown(self) {
        let (tx, rx) = oneshot::channel();
        if self.sink.tx.send(WriterMessage::Stop(tx)).await.is_ok() {
            let _ = rx.await;
        }
        let _ = self.task.await;
    }
}

/// An entry of the writer's queue, in the order it must reach the database.
enum Item {
    Row(Box<SpendLog>),
    /// Spend of rows whose detail was given up.
    Totals(Box<Totals>),
    Set {
        entity: Entity,
        id: String,
        spend: f64,
        reset_at: Option<String>,
        done: Option<oneshot::Sender<()>>,
    },
    /// A flush: answered when everything before it is written.
    Marker(oneshot::Sender<()>),
}

/// Items taken off the queue for one database write.
type Batch = Vec<Item>;

struct Writer {
    store: Store,
    queue: VecDeque<Item>,
    /// Rows not written yet: queued, or in the write under way.
    queued_rows: usize,
    /// Flushes and spend sets someone waits for, queued or being written.
    waiters: usize,
    backlog_cap: usize,
    shared: Arc<Shared>,
    /// Consecutive failed writes.
    failures: u32,
    /// No write before this, after a failure.
    retry_at: Option<Instant>,
}

type InFlight = JoinHandle<(Batch, Result<(), StoreError>)>;

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<WriterMessage>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut in_flight: Option<InFlight> = None;
        loop {
            tokio::select! {
                message = rx.recv() => {
                    // Under load, take what else is waiting in one go rather than one wake-up
                    // (and one pass through this select) a row.
                    let mut stop = None;
                    let mut next = Some(message);
                    let mut taken = 0;
                    while let Some(message) = next.take() {
                        match message {
                            Some(WriterMessage::Stop(done)) => {
                                stop = Some(Some(done));
                                break;
                            }
                            Some(message) => self.accept(message),
                            None => {
                                stop = Some(None);
                                break;
                            }
                        }
                        taken += 1;
                        if taken < RECEIVE_BURST {
                            next = rx.try_recv().ok().map(Some);
                        }
                    }
                    if let Some(done) = stop {
                        // Everything sent before the stop (or before the last sender went) is
                        // written, then the writer ends.
                        while let Ok(message) = rx.try_recv() {
                            self.accept(message);
                        }
                        if let Some(task) = in_flight.take() {
                            self.finished(task.await);
                        }
                        self.write_all_before(Instant::now() + STOP_DEADLINE).await;
                        if let Some(done) = done {
                            let _ = done.send(());
                        }
                        return;
                    }
                    // A full batch, or someone waiting (a reader, an admin): write now rather
                    // than at the tick.
                    if (self.queued_rows >= MAX_BATCH || self.waiters > 0) && in_flight.is_none() {
                        in_flight = self.start_write();
                    }
                },
                _ = ticker.tick(), if in_flight.is_none() => in_flight = self.start_write(),
                result = wait(&mut in_flight), if in_flight.is_some() => {
                    in_flight = None;
                    self.finished(result);
                    // More than a batch waiting (catching up after an outage), or someone
                    // waiting: go on now.
                    if self.queued_rows >= MAX_BATCH || self.waiters > 0 {
                        in_flight = self.start_write();
                    }
                }
            }
        }
    }

    fn accept(&mut self, message: WriterMessage) {
        match message {
            WriterMessage::Log(mut log) => {
                log.scrub_nul();
                self.push_row(log)
            }
            WriterMessage::SetSpend { entity, id, spend, reset_at, done } => {
                self.waiters += usize::from(done.is_some());
                self.queue.push_back(Item::Set { entity, id, spend, reset_at, done })
            }
            WriterMessage::Flush(done) | WriterMessage::Stop(done) => {
                self.waiters += 1;
                self.queue.push_back(Item::Marker(done))
            }
        }
    }

    fn push_row(&mut self, row: Box<SpendLog>) {
        if self.queued_rows < self.backlog_cap {
            self.queue.push_back(Item::Row(row));
            self.queued_rows += 1;
            self.publish_backlog();
            return;
        }
        match self.queue.back_mut() {
            Some(Item::Totals(totals)) => totals.add(&row),
            _ => {
                let mut totals = Box::<Totals>::default();
                totals.add(&row);
                self.queue.push_back(Item::Totals(totals));
            }
        }
        let folded = self.shared.rows_folded.fetch_add(1, Ordering::Relaxed);
        if folded.is_multiple_of(10_000) {
            tracing::error!(
                "spend backlog full ({} rows waiting for the database): the detail of new calls is dropped, their spend \
                 still counts ({} calls so far)",
                self.queued_rows,
                folded + 1
            );
        }
    }

    fn publish_backlog(&self) {
        self.shared.backlog_rows.store(self.queued_rows as u64, Ordering::Relaxed);
    }

    /// The next batch: a spend set alone, or a run of rows (up to `MAX_BATCH`), folded totals
    /// and flush markers.
    fn take_batch(&mut self) -> Batch {
        let mut batch = Vec::new();
        if matches!(self.queue.front(), Some(Item::Set { .. })) {
            batch.extend(self.queue.pop_front());
            return batch;
        }
        let mut rows = 0;
        while let Some(item) = self.queue.front() {
            match item {
                Item::Set { .. } => break,
                Item::Row(_) if rows >= MAX_BATCH => break,
                Item::Row(_) => rows += 1,
                Item::Totals(_) | Item::Marker(_) => {}
            }
            batch.extend(self.queue.pop_front());
        }
        let overflow = std::mem::take(&mut *self.shared.overflow.lock());
        if !overflow.is_empty() {
            batch.push(Item::Totals(Box::new(overflow)));
        }
        batch
    }

    /// Starts writing the next batch beside the queue, unless backing off or nothing waits.
    fn start_write(&mut self) -> Option<InFlight> {
        if self.retry_at.is_some_and(|at| Instant::now() < at) {
            return None;
        }
        let batch = self.take_batch();
        if batch.iter().all(|i| matches!(i, Item::Marker(_))) {
            // Nothing to write before these flushes.
            self.done(batch);
            return None;
        }
        let store = self.store.clone();
        // After a failure, the failed batch may have been committed with its answer lost.
        let retried = self.failures > 0;
        Some(tokio::spawn(async move {
            let result = write(&store, &batch, retried).await;
            (batch, result)
        }))
    }

    fn finished(&mut self, result: Result<(Batch, Result<(), StoreError>), tokio::task::JoinError>) {
        match result {
            Ok((batch, Ok(()))) => {
                if self.failures > 0 {
                    tracing::info!("the database is back; spend rows are being written again");
                }
                self.failures = 0;
                self.retry_at = None;
                self.shared.unavailable.store(false, Ordering::Relaxed);
                *self.shared.last_error.lock() = None;
                self.done(batch);
            }
            Ok((batch, Err(e))) => {
                self.failures = self.failures.saturating_add(1);
                let wait = FIRST_RETRY.saturating_mul(1 << self.failures.min(5).saturating_sub(1)).min(MAX_RETRY);
                self.retry_at = Some(Instant::now() + wait);
                self.shared.unavailable.store(true, Ordering::Relaxed);
                *self.shared.last_error.lock() = Some(e.to_string());
                self.put_back(batch);
                if self.failures == 1 || self.failures.is_multiple_of(10) {
                    tracing::error!(
                        "spend rows not written ({} waiting, kept in memory; next try in {} s): {e}",
                        self.queued_rows,
                        wait.as_secs()
                    );
                }
            }
            Err(e) => tracing::error!("spend write task failed: {e}"),
        }
    }

    /// A failed batch goes back to the front, in its order.
    fn put_back(&mut self, batch: Batch) {
        for item in batch.into_iter().rev() {
            self.queue.push_front(item);
        }
    }

    /// A batch is in the database: tell whoever waits, and count its rows off the backlog.
    fn done(&mut self, batch: Batch) {
        for item in batch {
            match item {
                Item::Row(_) => self.queued_rows = self.queued_rows.saturating_sub(1),
                Item::Marker(done) => {
                    self.waiters = self.waiters.saturating_sub(1);
                    let _ = done.send(());
                }
                Item::Set { done: Some(done), .. } => {
                    self.waiters = self.waiters.saturating_sub(1);
                    let _ = done.send(());
                }
                Item::Set { done: None, .. } | Item::Totals(_) => {}
            }
        }
        self.publish_backlog();
    }

    /// Writes the queue out (shutdown), retrying until `deadline`.
    async fn write_all_before(&mut self, deadline: Instant) {
        self.retry_at = None;
        while !self.queue.is_empty() || !self.shared.overflow.lock().is_empty() {
            let batch = self.take_batch();
            let result = write(&self.store, &batch, self.failures > 0).await;
            self.finished(Ok((batch, result)));
            if self.failures > 0 {
                if Instant::now() + FIRST_RETRY > deadline {
                    let lost = self.queued_rows;
                    tracing::error!("stopping with {lost} spend rows the database did not take; they are lost");
                    let left: Batch = self.queue.drain(..).collect();
                    self.done(left);
                    return;
                }
                tokio::time::sleep(FIRST_RETRY).await;
            }
        }
    }
}

async fn wait(task: &mut Option<InFlight>) -> Result<(Batch, Result<(), StoreError>), tokio::task::JoinError> {
    match task {
        Some(task) => task.await,
        None => std::future::pending().await,
    }
}

async fn write(store: &Store, batch: &Batch, retried: bool) -> Result<(), StoreError> {
    if let [Item::Set { entity, id, spend, reset_at, .. }] = batch.as_slice() {
        return store.set_spend(*entity, id, *spend, reset_at.as_deref()).await;
    }
    let mut rows = Vec::new();
    let mut carried = Totals::default();
    for item in batch {
        match item {
            Item::Row(row) => rows.push(&**row),
            Item::Totals(t) => carried.merge((**t).clone()),
            Item::Set { .. } | Item::Marker(_) => {}
        }
    }
    if rows.is_empty() && carried.is_empty() {
        return Ok(());
    }
    store.write_spend(&rows, &carried, retried).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::{KeyRecord, SpendFilter, Write, sqlite_url};

    async fn store() -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("switchboard-writer-{}", uuid::Uuid::new_v4()));
        let store = Store::connect(&sqlite_url(&dir.join("db.sqlite"))).await.unwrap();
        let key = KeyRecord { token: "k".into(), created_at: "x".into(), updated_at: "x".into(), ..Default::default() };
        store.commit(&[Write::Key(&key)]).await.unwrap();
        (store, dir)
    }

    fn row(n: usize) -> Box<SpendLog> {
        Box::new(SpendLog {
            request_id: format!("call-{n}"),
            call_type: "acompletion".into(),
            api_key: "k".into(),
            spend: 0.25,
            start_time: format!("2026-12-01T00:00:{:02}.000Z", n % 60),
            end_time: "2026-12-01T00:01:00.000Z".into(),
            status: "success".into(),
            ..Default::default()
        })
    }

    /// Takes the spend table away (the database refuses every write) or brings it back.
    async fn break_database(store: &Store, broken: bool) {
        let sql = if broken {
            "ALTER TABLE spend_logs RENAME TO spend_logs_away"
        } else {
            "ALTER TABLE spend_logs_away RENAME TO spend_logs"
        };
        store.execute(sql).await.unwrap();
    }

    async fn until(what: &str, mut check: impl FnMut() -> bool) {
        for _ in 0..400 {
            if check() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }

    async fn rows_and_key_spend(store: &Store) -> (usize, f64) {
        let rows = store.spend_logs(&SpendFilter { limit: 10_000, ..Default::default() }).await.unwrap();
        (rows.len(), store.load().await.unwrap().keys[0].spend)
    }

    #[tokio::test]
    async fn rows_wait_while_the_database_refuses_them_and_arrive_after() {
        let (store, dir) = store().await;
        let writer = SpendWriter::spawn(store.clone(), Duration::from_millis(50), 1000);
        let sink = writer.sink();
        for n in 0..100 {
            sink.send(WriterMessage::Log(row(n)));
        }
        sink.flush().await;
        break_database(&store, true).await;
        for n in 100..300 {
            sink.send(WriterMessage::Log(row(n)));
        }
        until("the writer to notice", || sink.status().database_unavailable).await;
        assert_eq!(sink.status().backlog_rows, 200);
        assert!(sink.status().last_error.is_some());
        break_database(&store, false).await;
        until("the backlog to drain", || sink.status().backlog_rows == 0 && !sink.status().database_unavailable).await;
        writer.shutdown().await;
        assert_eq!(rows_and_key_spend(&store).await, (300, 75.0));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn past_the_backlog_limit_rows_fold_into_totals() {
        let (store, dir) = store().await;
        let writer = SpendWriter::spawn(store.clone(), Duration::from_millis(50), 10);
        let sink = writer.sink();
        break_database(&store, true).await;
        for n in 0..50 {
            sink.send(WriterMessage::Log(row(n)));
        }
        until("the backlog to fill", || sink.status().rows_folded == 40).await;
        assert_eq!(sink.status().backlog_rows, 10, "memory stays bounded");
        break_database(&store, false).await;
        until("the backlog to drain", || sink.status().backlog_rows == 0 && !sink.status().database_unavailable).await;
        writer.shutdown().await;
        assert_eq!(rows_and_key_spend(&store).await, (10, 12.5), "every call's spend counts, 10 rows kept");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_clean_stop_writes_everything_queued() {
        let (store, dir) = store().await;
        // A flush interval longer than the test: only the stop writes.
        let writer = SpendWriter::spawn(store.clone(), Duration::from_secs(3600), 1000);
        let sink = writer.sink();
        for n in 0..500 {
            sink.send(WriterMessage::Log(row(n)));
        }
        writer.shutdown().await;
        assert_eq!(rows_and_key_spend(&store).await, (500, 125.0));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_spend_set_lands_after_the_rows_before_it() {
        let (store, dir) = store().await;
        let writer = SpendWriter::spawn(store.clone(), Duration::from_secs(3600), 1000);
        let sink = writer.sink();
        for n in 0..20 {
            sink.send(WriterMessage::Log(row(n)));
        }
        assert!(sink.set_spend(Entity::Key, "k", 1.0, None).await);
        sink.send(WriterMessage::Log(row(20)));
        writer.shutdown().await;
        assert_eq!(rows_and_key_spend(&store).await, (21, 1.25), "20 rows, then the set, then one more row");
        let _ = std::fs::remove_dir_all(dir);
    }
}
