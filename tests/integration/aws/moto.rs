//! The moto server the AWS tests talk to: `MOTO_ENDPOINT` when set, else one `moto_server` per test binary.
//!
//! - `MOTO_ENDPOINT=http://127.0.0.1:5055` (CI, `eval "$(scripts/moto.sh)"`): that server is used as it is.
//! - Otherwise `moto_server` (or the program named by `MOTO_SERVER`) is started on a free loopback port the first
//!   time a test asks, under a small `sh` guard that kills it when this process's end of its stdin closes — at
//!   exit, whether the tests passed, failed or the binary was killed. Its log is `$TMPDIR/shadowhunter-moto-<pid>.log`.
//!
//! A server that cannot be started fails the test with how to install it; nothing is skipped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a freshly started moto has to answer (it imports every AWS service model on start).
const START_WITHIN: Duration = Duration::from_secs(60);
const INSTALL_HINT: &str = "install it with `pip install 'moto[server]'` (CI pins moto[server]==5.2.1), \
     or start one and set MOTO_ENDPOINT=http://127.0.0.1:<port> (scripts/moto.sh does both)";

/// Kills moto when this process exits: it waits for EOF on fd 3, a copy of the stdin pipe we hold open.
const GUARD: &str = r#"exec 3<&0
"$0" -H 127.0.0.1 -p "$1" </dev/null &
server=$!
( read -r _ <&3; kill "$server" 2>/dev/null ) &
wait "$server""#;

struct Server {
    endpoint: String,
    /// Held for the life of the process: dropping it would close moto's guard pipe.
    _guard: Option<Mutex<Child>>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The moto endpoint for this test binary, starting moto on first use; panics with the reason if there is none.
pub fn endpoint() -> &'static str {
    match SERVER.get_or_init(start) {
        Ok(server) => &server.endpoint,
        Err(reason) => panic!("{reason}"),
    }
}

/// A name no other test uses: tables, queues and state machines of parallel tests never meet.
pub fn unique_name(prefix: &str) -> String {
    let id = shadowhunter_core::CheckId::generate();
    format!("{prefix}-{}", &id.as_str()[4..20])
}

/// SDK configuration for the moto endpoint: static test credentials, us-east-1.
pub async fn sdk() -> aws_config::SdkConfig {
    shadowhunter_aws::sdk_config(Some(endpoint())).await
}

/// A DynamoDB client and a fresh table of this test's own, as the template declares it.
pub async fn fresh_table(prefix: &str) -> (aws_sdk_dynamodb::Client, String) {
    let client = aws_sdk_dynamodb::Client::new(&sdk().await);
    let table = unique_name(prefix);
    shadowhunter_aws::create_table(&client, &table)
        .await
        .expect("the table is created on moto");
    (client, table)
}

fn start() -> Result<Server, String> {
    if let Ok(endpoint) = std::env::var("MOTO_ENDPOINT") {
        let address = socket_address(&endpoint)
            .ok_or_else(|| format!("MOTO_ENDPOINT={endpoint} is not an http://host:port URL"))?;
        if !answers_http(address) {
            return Err(format!(
                "MOTO_ENDPOINT={endpoint} does not answer HTTP; is moto running there?"
            ));
        }
        return Ok(Server { endpoint, _guard: None });
    }

    let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".to_string());
    if !on_path(&program) {
        return Err(format!("`{program}` is not on PATH: {INSTALL_HINT}"));
    }
    let port = free_port().map_err(|err| format!("no free loopback port for moto: {err}"))?;
    let log_path = std::env::temp_dir().join(format!("shadowhunter-moto-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).map_err(|err| format!("cannot create {}: {err}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|err| err.to_string())?;
    let mut child = Command::new("sh")
        .args(["-c", GUARD, &program, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|err| format!("cannot run sh to start {program}: {err}"))?;

    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_WITHIN;
    loop {
        if answers_http(address) {
            return Ok(Server {
                endpoint: format!("http://{address}"),
                _guard: Some(Mutex::new(child)),
            });
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{program} exited ({status}) before answering: {}\n{INSTALL_HINT}",
                log_tail(&log_path)
            ));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            return Err(format!(
                "{program} did not answer on {address} within {START_WITHIN:?}: {}\n{INSTALL_HINT}",
                log_tail(&log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return PathBuf::from(program).is_file();
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

fn free_port() -> std::io::Result<u16> {
    // Bound and released: a small race with another process, which the readiness check would expose.
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `http://host:port[/…]` → the socket address, for the readiness probe.
fn socket_address(endpoint: &str) -> Option<SocketAddr> {
    let authority = endpoint.strip_prefix("http://")?.split('/').next()?;
    std::net::ToSocketAddrs::to_socket_addrs(authority).ok()?.next()
}

/// Whether an HTTP server answers at `address` (any status: moto's root answers 404 on some versions).
fn answers_http(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream
        .write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

fn log_tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    format!("log {}:\n{tail}", path.display())
}
