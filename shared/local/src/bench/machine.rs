//! The machine a bench ran on, and what the process spent: CPU (getrusage and per runtime thread) and peak RSS.

use std::time::Duration;

/// The cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Cores, CPU model and memory, as read from the OS.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cores: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| {
                line.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, model)| model.trim())
            })
            .unwrap_or("unknown CPU")
            .to_string();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:")?.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        Self {
            cores: cores(),
            cpu_model,
            memory_gib: memory_kib / (1024.0 * 1024.0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_string(),
        }
    }

    /// `machine: 2 cores, <model>, 23.4 GiB RAM, Linux <release>`.
    pub fn line(&self) -> String {
        format!(
            "machine: {} cores, {}, {:.1} GiB RAM, Linux {}",
            self.cores, self.cpu_model, self.memory_gib, self.kernel
        )
    }
}

/// User + system CPU time of the whole process so far (getrusage `RUSAGE_SELF`).
pub fn process_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct we hand it; a zeroed rusage is a valid initial value.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let time = |tv: libc::timeval| {
        Duration::from_secs(u64::try_from(tv.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(tv.tv_usec).unwrap_or(0))
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// CPU time of the live threads whose name starts with each of `prefixes` (`/proc/self/task/*/schedstat`), and of
/// all the others last.
pub fn thread_cpu(prefixes: &[&str]) -> Vec<Duration> {
    let mut totals = vec![Duration::ZERO; prefixes.len() + 1];
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return totals;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let nanos: u64 = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        let slot = prefixes
            .iter()
            .position(|prefix| name.starts_with(prefix))
            .unwrap_or(prefixes.len());
        totals[slot] += Duration::from_nanos(nanos);
    }
    totals
}

/// Peak resident set size so far (`VmHWM` of `/proc/self/status`), in bytes.
pub fn peak_rss() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// Resets the peak RSS to the current RSS (`echo 5 > /proc/self/clear_refs`); false when the kernel refuses.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field)?.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU spent between two [`CpuSnapshot`]s, split by where it went.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuSpent {
    /// The service under test: the API, the worker pool, SQLite and the provider clients (`bench-server` threads,
    /// and the store's own `sqlite-` threads).
    pub server: Duration,
    /// Of `server`, the store's own threads (the database writer, the WAL checkpointer).
    pub store: Duration,
    /// The sandbox standing in for the providers (`bench-sandbox` threads).
    pub sandbox: Duration,
    /// The load generator and everything else.
    pub client: Duration,
    /// The whole process (getrusage).
    pub process: Duration,
}

/// Where the CPU clock stood at one moment.
#[derive(Debug, Clone)]
pub struct CpuSnapshot {
    threads: Vec<Duration>,
    process: Duration,
}

impl CpuSnapshot {
    pub fn now() -> Self {
        Self {
            threads: thread_cpu(&[
                super::SERVER_THREADS,
                super::SANDBOX_THREADS,
                crate::store::THREAD_PREFIX,
            ]),
            process: process_cpu(),
        }
    }

    pub fn since(&self, earlier: &CpuSnapshot) -> CpuSpent {
        let delta = |index: usize| self.threads[index].saturating_sub(earlier.threads[index]);
        CpuSpent {
            server: delta(0) + delta(2),
            store: delta(2),
            sandbox: delta(1),
            client: delta(3),
            process: self.process.saturating_sub(earlier.process),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_line_names_cores_model_and_memory() {
        let machine = Machine {
            cores: 2,
            cpu_model: "Test CPU @ 2.0GHz".into(),
            memory_gib: 23.44,
            kernel: "6.1".into(),
        };
        assert_eq!(
            machine.line(),
            "machine: 2 cores, Test CPU @ 2.0GHz, 23.4 GiB RAM, Linux 6.1"
        );
    }
}
