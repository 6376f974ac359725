//! The load generator: open-loop `POST`s at a fixed rate (latency from the intended send time) and a closed loop of
//! back-to-back requests over a fixed number of connections (for saturation).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::schedule::OpenLoop;
use super::stats::Summary;

/// One request's fate.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its index in the schedule (which body it carried).
    pub index: u64,
    /// From the intended send time (open loop) or the actual one (closed loop) to the answer.
    pub latency: Duration,
    /// From the actual send to the answer.
    pub service: Duration,
    /// The status and body, or the transport error.
    pub answer: Result<(u16, Bytes), String>,
}

impl Sent {
    pub fn status(&self) -> Option<u16> {
        self.answer.as_ref().ok().map(|(status, _)| *status)
    }
}

/// What a load run produced.
#[derive(Debug, Clone)]
pub struct LoadRun {
    pub sent: Vec<Sent>,
    /// From the first intended send to the last answer.
    pub elapsed: Duration,
    /// Requests that waited for a free connection before going out (the client, not the server, was full).
    pub delayed_by_client: u64,
}

impl LoadRun {
    /// Answers with `status`.
    pub fn count_status(&self, status: u16) -> usize {
        self.sent.iter().filter(|sent| sent.status() == Some(status)).count()
    }

    /// Everything that was not `ok_status`: other statuses and transport errors.
    pub fn errors(&self, ok_status: u16) -> usize {
        self.sent.iter().filter(|sent| sent.status() != Some(ok_status)).count()
    }

    /// A short account of the errors by status or transport error (first few kinds).
    pub fn error_kinds(&self, ok_status: u16) -> String {
        let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
        for sent in self.sent.iter().filter(|sent| sent.status() != Some(ok_status)) {
            let kind = match &sent.answer {
                Ok((status, _)) => format!("HTTP {status}"),
                Err(err) => err.chars().take(60).collect(),
            };
            *kinds.entry(kind).or_default() += 1;
        }
        kinds
            .iter()
            .map(|(kind, count)| format!("{count}× {kind}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Latency of the answers with `status`.
    pub fn latency(&self, status: u16) -> Option<Summary> {
        Summary::of(
            self.sent
                .iter()
                .filter(|sent| sent.status() == Some(status))
                .map(|sent| sent.latency)
                .collect(),
        )
    }

    /// Service time (from the actual send) of the answers with `status`.
    pub fn service(&self, status: u16) -> Option<Summary> {
        Summary::of(
            self.sent
                .iter()
                .filter(|sent| sent.status() == Some(status))
                .map(|sent| sent.service)
                .collect(),
        )
    }
}

/// The client the load goes through: HTTP/1.1 on loopback, at most `connections` kept per host.
pub fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a plain HTTP client builds")
}

async fn post(client: &reqwest::Client, url: &str, body: Bytes) -> Result<(u16, Bytes), String> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|err| format!("transport: {err}"))?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|err| format!("body: {err}"))?;
    // Copied out: the answer is a slice of the connection's read buffer (8 KiB or more), which a kept slice pins;
    // keeping every answer's slice grew the ingest bench to 4 GiB and made each new read buffer fault in fresh pages.
    Ok((status, Bytes::copy_from_slice(&body)))
}

/// Sends `bodies[i % len]` as request `i` of `schedule` to `url`, each at its intended time, with at most
/// `connections` in flight; a request that finds every connection busy waits, and its wait counts in its latency.
pub async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    bodies: Arc<Vec<Bytes>>,
    schedule: OpenLoop,
    connections: usize,
) -> LoadRun {
    let slots = Arc::new(Semaphore::new(connections.max(1)));
    let mut in_flight = JoinSet::new();
    let mut sent = Vec::with_capacity(usize::try_from(schedule.count).unwrap_or(0));
    let mut delayed_by_client = 0;
    let start = Instant::now();
    for index in 0..schedule.count {
        let intended = start + schedule.offset(index);
        if intended > Instant::now() {
            tokio::time::sleep_until(intended.into()).await;
        }
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                delayed_by_client += 1;
                Arc::clone(&slots)
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed")
            }
        };
        while let Some(done) = in_flight.try_join_next() {
            sent.extend(done.ok());
        }
        let client = client.clone();
        let url = url.to_string();
        let body = bodies[(index % bodies.len() as u64) as usize].clone();
        in_flight.spawn(async move {
            let started = Instant::now();
            let answer = post(&client, &url, body).await;
            drop(slot);
            Sent {
                index,
                latency: intended.elapsed(),
                service: started.elapsed(),
                answer,
            }
        });
    }
    while let Some(done) = in_flight.join_next().await {
        sent.extend(done.ok());
    }
    LoadRun {
        sent,
        elapsed: start.elapsed(),
        delayed_by_client,
    }
}

/// `connections` loops, each sending the next body as soon as the previous answer arrived, for `duration`.
pub async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    bodies: Arc<Vec<Bytes>>,
    duration: Duration,
    connections: usize,
) -> LoadRun {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let mut loops = JoinSet::new();
    for _ in 0..connections.max(1) {
        let (client, url, bodies, next) = (client.clone(), url.to_string(), Arc::clone(&bodies), Arc::clone(&next));
        loops.spawn(async move {
            let mut sent = Vec::new();
            while Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let body = bodies[(index % bodies.len() as u64) as usize].clone();
                let started = Instant::now();
                let answer = post(&client, &url, body).await;
                let latency = started.elapsed();
                sent.push(Sent {
                    index,
                    latency,
                    service: latency,
                    answer,
                });
            }
            sent
        });
    }
    let mut sent = Vec::new();
    while let Some(done) = loops.join_next().await {
        sent.extend(done.unwrap_or_default());
    }
    LoadRun {
        sent,
        elapsed: start.elapsed(),
        delayed_by_client: 0,
    }
}
