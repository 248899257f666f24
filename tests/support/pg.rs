//! A throwaway PostgreSQL cluster for the integration tests of one test binary.
//!
//! The first test that needs a server runs `initdb` on a temporary directory and starts the
//! postmaster with `pg_ctl`, listening only on a unix socket in that directory. Every test
//! then gets a database of its own ([`Server::fresh_database`]), so tests run in parallel
//! without seeing each other's rows or notifications (NOTIFY is per database).
//!
//! Tear-down: the server lives in a `static`, whose `Drop` never runs, so a watchdog process
//! holds the read end of a pipe whose write end only this test process holds. When the
//! process exits — normally, by panic or killed — the pipe closes and the watchdog runs
//! `pg_ctl stop -m immediate` and removes the directory. A start that fails half-way drops
//! the pipe during unwinding, which tears down the same way.
//!
//! `initdb` refuses to run as root; as root the PostgreSQL binaries run as the `postgres`
//! user (or `nobody`) through `runuser`, and the directory is handed to that user.

use postgres::{Client, Config, NoTls};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Environment variable naming a directory with `initdb` and `pg_ctl` (overrides the search).
const BIN_ENV: &str = "SCALEGEN_TEST_PG_BIN";
/// Socket "port": only names the socket file `.s.PGSQL.<port>` in our private directory.
const PORT: u16 = 5432;

/// A running throwaway cluster.
pub struct Server {
    socket_dir: PathBuf,
    /// Keeps the watchdog waiting; closed (and the server stopped) when the process exits.
    _watchdog: ChildStdin,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// The shared server of this test binary, started on first use.
pub fn server() -> &'static Server {
    SERVER.get_or_init(Server::start)
}

impl Server {
    fn start() -> Server {
        let bin = find_bin_dir();
        let base = tempfile::Builder::new()
            .prefix("scalegen-pg-")
            .tempdir()
            .expect("create a temporary directory for PostgreSQL")
            .keep();
        let run_as = unprivileged_user();
        if let Some(user) = &run_as {
            let (uid, gid) = (id_of(user, "-u"), id_of(user, "-g"));
            std::os::unix::fs::chown(&base, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("chown {} to {user}: {e}", base.display()));
        }
        let data = base.join("data");
        let pg_ctl = bin.join("pg_ctl");

        // The watchdog first, so that every later failure is cleaned up too.
        let mut stop = command(&run_as, &pg_ctl);
        stop.arg("-D").arg(&data).args(["stop", "-m", "immediate"]);
        let watchdog = spawn_watchdog(&base, &stop);

        let mut initdb = command(&run_as, &bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        run(&mut initdb, &base, "initdb");

        let options = format!(
            "-k {} -c listen_addresses='' -p {PORT} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            base.display()
        );
        let mut start = command(&run_as, &pg_ctl);
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(base.join("server.log"))
            .arg("-o")
            .arg(options)
            .args(["-w", "-t", "60", "start"]);
        run(&mut start, &base, "pg_ctl start");

        Server {
            socket_dir: base,
            _watchdog: watchdog,
        }
    }

    /// Connection settings for database `dbname` as the superuser `postgres`.
    pub fn config(&self, dbname: &str) -> Config {
        let mut config = Config::new();
        config
            .host_path(&self.socket_dir)
            .port(PORT)
            .user("postgres")
            .dbname(dbname);
        config
    }

    /// A new superuser connection to `dbname`.
    pub fn connect(&self, dbname: &str) -> Client {
        self.config(dbname)
            .connect(NoTls)
            .unwrap_or_else(|e| panic!("connect to database {dbname}: {e}"))
    }

    /// Creates an empty database whose name starts with `hint` and returns its name.
    pub fn fresh_database(&self, hint: &str) -> String {
        let n = DATABASES.fetch_add(1, Ordering::SeqCst);
        let name = format!("{hint}_{n}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "database hint {hint:?} must be a lower-case identifier"
        );
        self.connect("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        name
    }
}

/// The directory holding `initdb` and `pg_ctl`: `$SCALEGEN_TEST_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<major>/bin`, else the directory of `initdb` on `PATH`.
fn find_bin_dir() -> PathBuf {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os(BIN_ENV).map(PathBuf::from) {
        assert!(
            has_both(&dir),
            "{BIN_ENV}={} does not contain initdb and pg_ctl",
            dir.display()
        );
        return dir;
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((major, bin))
        })
        .collect();
    versioned.sort();
    if let Some((_, dir)) = versioned.pop() {
        return dir;
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).find(|d| has_both(d)))
        .unwrap_or_default();
    on_path.unwrap_or_else(|| {
        panic!(
            "these tests start their own PostgreSQL server but found no `initdb` and `pg_ctl` \
             (looked in ${BIN_ENV}, /usr/lib/postgresql/*/bin and PATH); install the server \
             binaries, e.g. `apt-get install postgresql` (PostgreSQL >= 15)"
        )
    })
}

/// `None` when not root; as root, the user the server runs as (`postgres`, else `nobody`).
fn unprivileged_user() -> Option<String> {
    let uid = output_of(Command::new("id").arg("-u"));
    if uid.trim() != "0" {
        return None;
    }
    assert!(
        Path::new("/usr/sbin/runuser").exists() || Path::new("/sbin/runuser").exists(),
        "running as root: initdb refuses root and `runuser` (util-linux) is missing"
    );
    let user = ["postgres", "nobody"]
        .into_iter()
        .find(|u| {
            Command::new("id")
                .arg(u)
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("running as root: need a `postgres` or `nobody` user to run initdb as");
    Some(user.to_string())
}

fn id_of(user: &str, flag: &str) -> u32 {
    output_of(Command::new("id").arg(flag).arg(user))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("id {flag} {user}: {e}"))
}

fn output_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `program`, run as `user` through runuser when one is given.
fn command(user: &Option<String>, program: &Path) -> Command {
    match user {
        Some(user) => {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", user, "--"]).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

/// Runs `cmd` in `dir` and panics with its output (and the server log) when it fails.
fn run(cmd: &mut Command, dir: &Path, what: &str) {
    let out = cmd
        .current_dir(dir)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        panic!(
            "{what} failed ({}):\n{}{}\nserver.log:\n{log}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Starts `sh`, which waits for EOF on its stdin, then runs `stop` and removes `base`.
fn spawn_watchdog(base: &Path, stop: &Command) -> ChildStdin {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"cat >/dev/null; base="$1"; shift; "$@" >/dev/null 2>&1; rm -rf "$base""#)
        .arg("scalegen-pg-watchdog")
        .arg(base)
        .arg(stop.get_program())
        .args(stop.get_args())
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn the PostgreSQL watchdog");
    let stdin = child.stdin.take().expect("watchdog stdin");
    // Reap nothing: the watchdog outlives this process by design.
    std::mem::forget(child);
    stdin
}
