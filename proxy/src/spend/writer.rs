//! The spend writer: requests hand it their spend row and go on; it writes rows and running
//! totals in batches, in order with budget resets, and flushes everything at shutdown.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::{Entity, SpendBatch, SpendLog, Store};

/// Rows written per transaction at most.
const MAX_BATCH: usize = 1000;

pub enum WriterMessage {
    Log(Box<SpendLog>),
    /// A budget period ended: the entity's spend is zero again; `document` is its record.
    Reset {
        entity: Entity,
        id: String,
        document: serde_json::Value,
    },
    Flush(oneshot::Sender<()>),
    Stop(oneshot::Sender<()>),
}

/// Where the request path sends spend; never blocks.
#[derive(Clone)]
pub struct SpendSink(mpsc::UnboundedSender<WriterMessage>);

impl SpendSink {
    pub fn send(&self, message: WriterMessage) {
        if self.0.send(message).is_err() {
            tracing::error!("spend writer is gone; a spend row was not recorded");
        }
    }

    /// Waits until everything sent before is in the database.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.0.send(WriterMessage::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

pub struct SpendWriter {
    sink: SpendSink,
    task: JoinHandle<()>,
}

impl SpendWriter {
    pub fn spawn(store: Store, interval: Duration) -> SpendWriter {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(store, rx, interval));
        SpendWriter { sink: SpendSink(tx), task }
    }

    pub fn sink(&self) -> SpendSink {
        self.sink.clone()
    }

    /// Writes everything queued, then stops.
    pub async fn shutdown(self) {
        let (tx, rx) = oneshot::channel();
        if self.sink.0.send(WriterMessage::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
        let _ = self.task.await;
    }
}

async fn run(store: Store, mut rx: mpsc::UnboundedReceiver<WriterMessage>, interval: Duration) {
    let mut batch = SpendBatch::default();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                Some(WriterMessage::Log(log)) => {
                    add(&mut batch, *log);
                    if batch.logs.len() >= MAX_BATCH {
                        flush(&store, &mut batch).await;
                    }
                }
                Some(WriterMessage::Reset { entity, id, document }) => {
                    // Spend of the ended period goes in first, then the reset.
                    flush(&store, &mut batch).await;
                    if let Err(e) = store.set_spend(entity, &id, 0.0, &document).await {
                        tracing::error!("budget reset of {entity:?} {id} not saved: {e}");
                    }
                }
                Some(WriterMessage::Flush(done)) => {
                    flush(&store, &mut batch).await;
                    let _ = done.send(());
                }
                Some(WriterMessage::Stop(done)) => {
                    while let Ok(message) = rx.try_recv() {
                        if let WriterMessage::Log(log) = message {
                            add(&mut batch, *log);
                        }
                    }
                    flush(&store, &mut batch).await;
                    let _ = done.send(());
                    return;
                }
                None => {
                    flush(&store, &mut batch).await;
                    return;
                }
            },
            _ = ticker.tick() => flush(&store, &mut batch).await,
        }
    }
}

fn add(batch: &mut SpendBatch, log: SpendLog) {
    if log.api_key != crate::auth::MASTER_KEY_SPEND_ID {
        let key = batch.keys.entry(log.api_key.clone()).or_insert_with(|| (0.0, String::new()));
        key.0 += log.spend;
        key.1.clone_from(&log.end_time);
    }
    if let Some(team) = &log.team_id {
        *batch.teams.entry(team.clone()).or_default() += log.spend;
    }
    if let Some(user) = &log.user {
        *batch.users.entry(user.clone()).or_default() += log.spend;
    }
    batch.logs.push(log);
}

/// Writes the batch; on failure keeps it for the next attempt (nothing is dropped).
async fn flush(store: &Store, batch: &mut SpendBatch) {
    if batch.is_empty() {
        return;
    }
    match store.write_spend(batch).await {
        Ok(()) => *batch = SpendBatch::default(),
        Err(e) => tracing::error!("spend batch of {} rows not written yet (will retry): {e}", batch.logs.len()),
    }
}
