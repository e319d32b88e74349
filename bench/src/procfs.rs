//! What the benchmark reads from `/proc`: a process's CPU time and memory.

use std::path::Path;

/// CPU time a process has used, in clock ticks (`utime + stime` of `/proc/<pid>/stat`: the
/// whole thread group, including threads that have exited).
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the
    // last ')'. utime and stime are fields 14 and 15 (1-based); after comm, state is field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A `kB` line of `/proc/<pid>/status` (`VmRSS`, `VmHWM`, ...), in kB.
pub fn parse_status_kb(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?;
        value.split_ascii_whitespace().next()?.parse().ok()
    })
}

/// The pids of `pid`'s live children (`/proc/<pid>/task/*/children`).
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(text.split_ascii_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
    }
    out
}

/// `pid` and all its live descendants.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let kids = children(all[i]);
        all.extend(kids);
        i += 1;
    }
    all
}

/// CPU ticks of `pid` and its live descendants (LiteLLM may run workers as child processes;
/// Switchboard and the fake are single processes).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let mut total = 0;
    for (i, p) in process_tree(pid).into_iter().enumerate() {
        match std::fs::read_to_string(format!("/proc/{p}/stat")).ok().and_then(|s| parse_stat_ticks(&s)) {
            Some(t) => total += t,
            None if i == 0 => return None,
            None => {}
        }
    }
    Some(total)
}

/// `(start time, utime + stime + cutime + cstime)` of a `/proc/<pid>/stat` line, in clock
/// ticks. With the children's time, a compiler that started and ended between two samples still
/// shows, in its parent (cargo, make, a test runner).
pub fn parse_stat_start_and_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    let mut ticks = 0;
    for i in 11..=14 {
        ticks += fields.get(i)?.parse::<u64>().ok()?;
    }
    let start: u64 = fields.get(19)?.parse().ok()?;
    Some((start, ticks))
}

/// Every process on the machine but kernel threads: pid → (start time, CPU ticks, name).
pub type ProcessTable = std::collections::HashMap<u32, (u64, u64, String)>;

pub fn process_table() -> ProcessTable {
    let mut table = ProcessTable::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return table;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let name = stat.find('(').zip(stat.rfind(')')).map(|(a, b)| stat[a + 1..b].to_owned()).unwrap_or_default();
        // Kernel threads (children of kthreadd, pid 2) are left out: their work on this machine
        // is mostly done for the processes under test (socket and file writeback).
        let kernel_thread =
            pid == 2 || stat.rsplit(')').next().and_then(|r| r.split_ascii_whitespace().nth(1)) == Some("2");
        if kernel_thread {
            continue;
        }
        if let Some((start, ticks)) = parse_stat_start_and_ticks(&stat) {
            table.insert(pid, (start, ticks, name));
        }
    }
    table
}

/// CPU ticks that processes other than `ours` used between two tables, by process name, largest
/// first. A process born in between counts whole; one that came and went in between shows in its
/// parent's children time.
pub fn foreign_ticks(before: &ProcessTable, after: &ProcessTable, ours: &[u32]) -> Vec<(String, u64)> {
    let mut by_name: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for (pid, (start, ticks, name)) in after {
        if ours.contains(pid) {
            continue;
        }
        let used = match before.get(pid) {
            Some((start0, ticks0, _)) if start0 == start => ticks.saturating_sub(*ticks0),
            _ => *ticks,
        };
        if used > 0 {
            *by_name.entry(name).or_default() += used;
        }
    }
    let mut out: Vec<(String, u64)> = by_name.into_iter().map(|(n, t)| (n.to_owned(), t)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// `key` (kB) of `/proc/<pid>/status`, summed over `pid` and its live descendants.
pub fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let mut total = 0;
    for (i, p) in process_tree(pid).into_iter().enumerate() {
        match std::fs::read_to_string(format!("/proc/{p}/status")).ok().and_then(|s| parse_status_kb(&s, key)) {
            Some(kb) => total += kb,
            None if i == 0 => return None,
            None => {}
        }
    }
    Some(total)
}

/// Clock ticks per second (`getconf CLK_TCK`), 100 when it cannot be asked.
pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// A snapshot of a process tree's CPU time: clock ticks (whole thread groups, exact in the
/// long run but in 10 ms steps) and nanoseconds per live thread (`/proc/<pid>/task/<tid>/schedstat`,
/// exact, but a thread that exits takes its time with it).
#[derive(Debug, Clone, Default)]
pub struct CpuSample {
    pub ticks: u64,
    pub thread_ns: std::collections::BTreeMap<u32, u64>,
}

/// `sum_exec_runtime` (ns), the first field of a `schedstat` file.
pub fn parse_schedstat_ns(text: &str) -> Option<u64> {
    text.split_ascii_whitespace().next()?.parse().ok()
}

impl CpuSample {
    pub fn take(pid: u32) -> Option<CpuSample> {
        let ticks = cpu_ticks(pid)?;
        let mut thread_ns = std::collections::BTreeMap::new();
        for p in process_tree(pid) {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else { continue };
            for task in tasks.flatten() {
                let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
                if let Some(ns) =
                    std::fs::read_to_string(task.path().join("schedstat")).ok().and_then(|s| parse_schedstat_ns(&s))
                {
                    thread_ns.insert(tid, ns);
                }
            }
        }
        Some(CpuSample { ticks, thread_ns })
    }

    /// CPU seconds from `self` to `later`. The per-thread nanoseconds when the same threads are
    /// alive at both ends and agree with the ticks (within two ticks and 5 %); else the ticks.
    /// Returns the seconds and whether they are the precise figure.
    pub fn seconds_until(&self, later: &CpuSample, ticks_per_second: u64) -> (f64, bool) {
        let tick_s = 1.0 / ticks_per_second.max(1) as f64;
        let by_ticks = later.ticks.saturating_sub(self.ticks) as f64 * tick_s;
        let same_threads = !self.thread_ns.is_empty() && self.thread_ns.keys().eq(later.thread_ns.keys());
        if same_threads {
            let ns: u64 = later.thread_ns.iter().map(|(tid, ns)| ns.saturating_sub(self.thread_ns[tid])).sum();
            let by_ns = ns as f64 / 1e9;
            if (by_ns - by_ticks).abs() <= 2.0 * tick_s + 0.05 * by_ticks {
                return (by_ns, true);
            }
        }
        (by_ticks, false)
    }
}

/// Busy and total jiffies per core, from the `cpuN` lines of `/proc/stat`.
pub fn parse_core_times(stat: &str) -> Vec<(u64, u64)> {
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l.split_ascii_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
            // user nice system idle iowait irq softirq steal (guest time is inside user).
            let total: u64 = v.iter().take(8).sum();
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            (total - idle, total)
        })
        .collect()
}

pub fn core_times() -> Vec<(u64, u64)> {
    std::fs::read_to_string("/proc/stat").map(|s| parse_core_times(&s)).unwrap_or_default()
}

/// Busy percent of each core between two `core_times` samples.
pub fn core_busy_percent(before: &[(u64, u64)], after: &[(u64, u64)]) -> Vec<f64> {
    before
        .iter()
        .zip(after)
        .map(|(&(b0, t0), &(b1, t1))| {
            let total = t1.saturating_sub(t0);
            if total == 0 { 0.0 } else { b1.saturating_sub(b0) as f64 * 100.0 / total as f64 }
        })
        .collect()
}

/// The 1-, 5- and 15-minute load averages.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_ascii_whitespace().map(|f| f.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// Names of running processes among `names` (e.g. `rustc`, `cargo`): their figures would be
/// noise while these run.
pub fn running_named(names: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(comm) = std::fs::read_to_string(Path::new("/proc").join(&name).join("comm")) {
            let comm = comm.trim();
            if names.contains(&comm) {
                found.push(comm.to_owned());
            }
        }
    }
    found.sort();
    found
}

/// The CPU model from `/proc/cpuinfo`.
pub fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_survive_odd_command_names() {
        let stat = "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 1219 0 0 0 731 245 0 0 20 0 3 0 \
                    123456 123456789 2345 18446744073709551615 1 1 0 0 0 0 0 4096 1260 0 0 0 17 0 0 0 0 0 0";
        assert_eq!(parse_stat_ticks(stat), Some(731 + 245));
        assert_eq!(parse_stat_ticks("garbage"), None);
        assert_eq!(parse_stat_ticks("1 (x) S 1 2"), None);
    }

    #[test]
    fn own_stat_parses() {
        let me = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(parse_stat_ticks(&me).is_some());
        assert!(cpu_ticks(std::process::id()).is_some());
        assert!(status_kb(std::process::id(), "VmRSS").unwrap() > 0);
    }

    #[test]
    fn status_lines() {
        let status =
            "Name:\tswitchboard\nVmPeak:\t  100 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nRssAnon:\t 1 kB\n";
        assert_eq!(parse_status_kb(status, "VmRSS"), Some(10240));
        assert_eq!(parse_status_kb(status, "VmHWM"), Some(20480));
        assert_eq!(parse_status_kb(status, "VmSwap"), None);
    }

    #[test]
    fn cpu_delta_prefers_thread_nanoseconds_when_consistent() {
        let a = CpuSample { ticks: 100, thread_ns: [(1, 1_000_000_000), (2, 0)].into() };
        let b = CpuSample { ticks: 151, thread_ns: [(1, 1_300_000_000), (2, 205_000_000)].into() };
        let (s, precise) = a.seconds_until(&b, 100);
        assert!(precise);
        assert!((s - 0.505).abs() < 1e-9);
        // A thread went away: only the ticks can be trusted.
        let c = CpuSample { ticks: 151, thread_ns: [(1, 1_300_000_000)].into() };
        assert_eq!(a.seconds_until(&c, 100), (0.51, false));
        // Threads agree in name but not in amount (a tid was reused): ticks.
        let d = CpuSample { ticks: 200, thread_ns: [(1, 1_000_000_001), (2, 1)].into() };
        assert_eq!(a.seconds_until(&d, 100), (1.0, false));
        assert_eq!(parse_schedstat_ns("48990739 18673609 153\n"), Some(48_990_739));
    }

    #[test]
    fn foreign_cpu_counts_other_processes_only() {
        let stat = "77 (cargo) R 1 2 3 4 5 6 7 8 9 10 300 45 1000 7 20 0 1 0 98765 1 2";
        assert_eq!(parse_stat_start_and_ticks(stat), Some((98765, 1352)));
        let entry = |start: u64, ticks: u64, name: &str| (start, ticks, name.to_owned());
        let before: ProcessTable =
            [(1, entry(10, 100, "gateway")), (2, entry(10, 50, "rustc")), (3, entry(10, 5, "old"))].into();
        // pid 3 was replaced by a new process; pid 4 was born.
        let after: ProcessTable = [
            (1, entry(10, 900, "gateway")),
            (2, entry(10, 80, "rustc")),
            (3, entry(20, 7, "rustc")),
            (4, entry(30, 1, "sh")),
        ]
        .into();
        assert_eq!(foreign_ticks(&before, &after, &[1]), vec![("rustc".to_owned(), 37), ("sh".to_owned(), 1)]);
        assert!(!process_table().is_empty());
    }

    #[test]
    fn core_times_from_proc_stat() {
        let stat = "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 30 10 0 0 0 0 0\nintr 1 2 3\n";
        assert_eq!(parse_core_times(stat), vec![(10, 50), (10, 50)]);
        let busy = core_busy_percent(&[(10, 50), (10, 50)], &[(60, 150), (10, 150)]);
        assert_eq!(busy, vec![50.0, 0.0]);
    }
}
