//! A real PostgreSQL for the tests: Debian's `postgresql` package, one throw-away cluster
//! per test process, made with `initdb` in a temporary directory and run as an
//! unprivileged user on a random free loopback port. Each test gets a database of its own
//! ([`database`]). The server speaks TLS too, with a certificate for `127.0.0.1` and
//! `localhost` from a CA made for the run ([`database_tls`], [`ca_file`]).
//!
//! The server is started under a small shell that holds a pipe from this process: when the
//! test process ends, however it ends, the pipe closes and the shell stops the server
//! (fast shutdown) and removes the directory. Run as root (CI), `initdb` and `postgres` run
//! as `nobody` through `runuser`, in a directory that user owns.
//!
//! Nothing is skipped silently: `scripts/setup` installs the package and `scripts/test`
//! sets `RAPPU_REQUIRE_POSTGRES=1`, so there a missing PostgreSQL fails; elsewhere a test
//! without one returns early with a note on stderr ([`available`]). A PostgreSQL that is
//! installed but does not start always fails the test, with its log.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use secrecy::SecretString;

/// The superuser of the throw-away cluster and its password (scram-sha-256 over TCP, so a
/// test connection string carries a password, as a real one would).
const USER: &str = "rappu";
/// The password.
pub const PASSWORD: &str = "pg-test-Salasana-7c1e";

/// The running cluster of this test process.
pub struct Cluster {
    /// Its port on 127.0.0.1.
    pub port: u16,
    bin: PathBuf,
    /// The cluster's directory (data, socket, logs, TLS files) and whether it runs as
    /// `nobody` (read by [`stop`] and [`start_again`], which only some test binaries use).
    #[allow(dead_code)]
    dir: PathBuf,
    #[allow(dead_code)]
    root: bool,
    /// Kept open: closing it (at exit) stops the server.
    _guard: Mutex<(Child, ChildStdin)>,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The directory of PostgreSQL's programs: `RAPPU_PG_BIN`, else the newest
/// `/usr/lib/postgresql/N/bin` with `initdb`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RAPPU_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// Whether PostgreSQL tests can run here. Without PostgreSQL installed: `false` with a note,
/// or a panic when `RAPPU_REQUIRE_POSTGRES` is set. Installed but failing to start: panic.
pub fn available() -> bool {
    cluster().is_some()
}

fn cluster() -> Option<&'static Cluster> {
    CLUSTER
        .get_or_init(|| match bin_dir() {
            Some(bin) => Some(start(&bin)),
            None if std::env::var_os("RAPPU_REQUIRE_POSTGRES").is_some() => panic!(
                "PostgreSQL is required (RAPPU_REQUIRE_POSTGRES is set) but no initdb was found \
                 under /usr/lib/postgresql/*/bin: scripts/setup installs Debian's postgresql \
                 package (or set RAPPU_PG_BIN)"
            ),
            None => {
                eprintln!(
                    "note: PostgreSQL is not installed; the PostgreSQL half of this test did not run \
                     (scripts/setup installs it; scripts/test requires it)"
                );
                None
            }
        })
        .as_ref()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args...`, as `nobody` when this process is root.
fn as_postgres_user(program: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start(bin: &Path) -> Cluster {
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("rappu-pg-")
        .tempdir()
        .expect("a temporary directory")
        .keep();
    let data = dir.join("data");
    let pwfile = dir.join("pw");
    std::fs::write(&pwfile, PASSWORD).expect("write the password file");
    make_certificates(&dir.join("tls"));
    if root {
        let status = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(&dir)
            .status()
            .expect("run chown");
        assert!(status.success(), "chown of {} failed", dir.display());
    }
    let out = as_postgres_user(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            USER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ])
        .args(["--no-locale", "-E", "UTF8", "--no-sync"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .output()
        .expect("run initdb");
    assert!(
        out.status.success(),
        "initdb failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A port can be taken between the probe and the bind: try a few.
    let mut last_log = String::new();
    for _ in 0..5 {
        let port = free_port();
        let log = dir.join("postgres.log");
        // The shell stops the server and removes the directory when stdin closes (with
        // pg_ctl, which finds the server by its data directory, so also one [`restart`]
        // started).
        let script = format!(
            "{postgres} -D '{data}' {options} >'{log}' 2>&1 & pid=$!; \
             read _; {pg_ctl} -D '{data}' stop -m fast -w >/dev/null 2>&1 || kill -INT $pid 2>/dev/null; \
             wait $pid 2>/dev/null; rm -rf '{dir}'",
            postgres = bin.join("postgres").display(),
            pg_ctl = bin.join("pg_ctl").display(),
            options = server_options(port, &dir),
            data = data.display(),
            dir = dir.display(),
            log = log.display(),
        );
        let mut shell = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--", "sh", "-c", &script]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", &script]);
            c
        };
        let mut child = shell
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        let stdin = child.stdin.take().expect("the shell's stdin");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Cluster {
                    port,
                    bin: bin.to_owned(),
                    dir: dir.clone(),
                    root,
                    _guard: Mutex::new((child, stdin)),
                };
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        last_log = std::fs::read_to_string(&log).unwrap_or_default();
        drop(stdin);
        let _ = child.wait();
        if !last_log.contains("could not bind") && !last_log.contains("in use") {
            break;
        }
    }
    panic!("PostgreSQL did not start within 30 s; its log:\n{last_log}");
}

/// The server's options (its port, socket directory, TLS, and settings for throw-away data).
fn server_options(port: u16, dir: &Path) -> String {
    format!(
        "-p {port} -k '{dir}' -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
         -c ssl=on -c ssl_cert_file='{dir}/tls/server.crt' -c ssl_key_file='{dir}/tls/server.key'",
        dir = dir.display()
    )
}

/// A CA and a server certificate it signed for `127.0.0.1` and `localhost`, with `openssl`
/// (which `scripts/setup` installs).
fn make_certificates(tls: &Path) {
    std::fs::create_dir_all(tls).expect("create the TLS directory");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(tls)
            .output()
            .expect("run openssl (scripts/setup installs it)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509", "-new"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "3",
            "-subj",
            "/CN=rappu test CA",
        ],
    ]
    .concat());
    run(&[
        &["req", "-new"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    std::fs::write(
        tls.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .expect("write the extensions");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "3",
        "-extfile",
        "san.ext",
    ]);
    // PostgreSQL refuses a key others can read.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        tls.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod the server key");
}

/// The CA that signed the test server's certificate (PEM).
#[allow(dead_code)]
pub fn ca_file() -> PathBuf {
    cluster()
        .expect("PostgreSQL is not available")
        .dir
        .join("tls/ca.crt")
}

/// [`database`], reached over TLS with the server's certificate verified against
/// [`ca_file`].
#[allow(dead_code)]
pub fn database_tls() -> SecretString {
    use secrecy::ExposeSecret;
    let url = database();
    SecretString::from(format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        url.expose_secret(),
        ca_file().display()
    ))
}

/// Stops the cluster of this test process (`pg_ctl stop -m fast`: sessions are ended, as
/// when a database server is restarted for maintenance). Every test of the process loses
/// it: only for a test binary with that test alone.
#[allow(dead_code)]
pub fn stop() {
    let c = cluster().expect("PostgreSQL is not available");
    let out = as_postgres_user(&c.bin.join("pg_ctl"), c.root)
        .arg("-D")
        .arg(c.dir.join("data"))
        .args(["stop", "-m", "fast", "-w"])
        .output()
        .expect("run pg_ctl stop");
    assert!(
        out.status.success(),
        "pg_ctl stop: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the cluster again after [`stop`], on the same port with the same data.
#[allow(dead_code)]
pub fn start_again() {
    let c = cluster().expect("PostgreSQL is not available");
    let out = as_postgres_user(&c.bin.join("pg_ctl"), c.root)
        .arg("-D")
        .arg(c.dir.join("data"))
        .arg("-l")
        .arg(c.dir.join("postgres-restarted.log"))
        .args(["-o", &server_options(c.port, &c.dir), "start", "-w"])
        // Not piped: the server it starts would hold a pipe open for as long as it runs.
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run pg_ctl start");
    assert!(
        out.success(),
        "pg_ctl start failed; its log:\n{}",
        std::fs::read_to_string(c.dir.join("postgres-restarted.log")).unwrap_or_default()
    );
}

/// Runs SQL as the superuser in database `db` with `psql`.
pub fn psql(db: &str, sql: &str) -> String {
    let c = cluster().expect("PostgreSQL is not available");
    let out = Command::new(c.bin.join("psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &c.port.to_string(),
            "-U",
            USER,
            "-d",
            db,
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        .env("PGPASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh, empty database in the cluster: its `postgres://` URL (with the password).
pub fn database() -> SecretString {
    let c = cluster().expect("PostgreSQL is not available (check pg::available() first)");
    let name = format!(
        "rappu_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    psql("postgres", &format!("CREATE DATABASE {name}"));
    SecretString::from(format!(
        "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{name}",
        c.port
    ))
}
