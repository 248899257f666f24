//! A stub HTTP/1.1 server on 127.0.0.1 for the k6 load-test runs: it answers every request
//! with `200 ok` at once and counts the requests by territory, region, method, target and
//! body.
//!
//! `std::net` only, a thread per connection (k6 keeps one connection per VU alive). The
//! server stops when the [`Stub`] is dropped: the accept loop and every connection thread
//! see the stop flag within [`POLL`] and are joined, so a test leaves no thread or socket
//! behind.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often idle threads look at the stop flag.
const POLL: Duration = Duration::from_millis(100);
/// Largest request head or body the stub reads.
const LIMIT: usize = 1 << 20;

/// What identifies a counted request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestKey {
    /// `X-Territory` (empty when absent).
    pub territory: String,
    /// `X-Region` (empty when absent).
    pub region: String,
    /// Method.
    pub method: String,
    /// Request target (path and query).
    pub target: String,
    /// Body, lossily decoded.
    pub body: String,
}

type Counts = Arc<Mutex<BTreeMap<RequestKey, u64>>>;

/// A running stub server.
pub struct Stub {
    addr: SocketAddr,
    counts: Counts,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Stub {
    /// Starts the server on a free port of 127.0.0.1.
    pub fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let counts: Counts = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (counts, stop) = (counts.clone(), stop.clone());
            std::thread::spawn(move || accept_loop(&listener, &counts, &stop))
        };
        Stub {
            addr,
            counts,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests counted so far.
    pub fn counts(&self) -> BTreeMap<RequestKey, u64> {
        self.counts.lock().expect("counts lock").clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, counts: &Counts, stop: &Arc<AtomicBool>) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (counts, stop) = (counts.clone(), stop.clone());
                connections.push(std::thread::spawn(move || {
                    let _ = serve(stream, &counts, &stop);
                }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => std::thread::sleep(POLL),
        }
        connections.retain(|c| !c.is_finished());
    }
    for c in connections {
        let _ = c.join();
    }
}

/// Serves one keep-alive connection until the client closes it or the stub stops.
fn serve(stream: TcpStream, counts: &Counts, stop: &AtomicBool) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let Some((key, close)) = read_request(&mut reader, stop)? else {
            return Ok(());
        };
        *counts.lock().expect("counts lock").entry(key).or_insert(0) += 1;
        writer.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
        )?;
        if close {
            return Ok(());
        }
    }
}

/// Reads one request; `None` at the end of the connection or when the stub stops.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    stop: &AtomicBool,
) -> std::io::Result<Option<(RequestKey, bool)>> {
    let Some(request_line) = read_line(reader, stop)? else {
        return Ok(None);
    };
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = BTreeMap::new();
    loop {
        let Some(line) = read_line(reader, stop)? else {
            return Ok(None);
        };
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(LIMIT)];
    read_exact(reader, &mut body, stop)?;
    let header = |name: &str| headers.get(name).cloned().unwrap_or_default();
    let close = header("connection").eq_ignore_ascii_case("close");
    let key = RequestKey {
        territory: header("x-territory"),
        region: header("x-region"),
        method,
        target,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    Ok(Some((key, close)))
}

/// One CRLF-terminated line without its terminator; `None` at EOF or on stop.
fn read_line(
    reader: &mut BufReader<TcpStream>,
    stop: &AtomicBool,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(None),
            Ok(_) if line.ends_with(b"\n") => {
                let text = String::from_utf8_lossy(&line);
                return Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()));
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
        if line.len() > LIMIT {
            return Ok(None);
        }
    }
}

fn read_exact(
    reader: &mut BufReader<TcpStream>,
    buf: &mut [u8],
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        match reader.read(&mut buf[filled..]) {
            Ok(0) => return Ok(()),
            Ok(n) => filled += n,
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}
