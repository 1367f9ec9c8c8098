//! The embedded default: a private PostgreSQL cluster under the data folder, made and run with
//! the PostgreSQL installed on the machine (`initdb`/`pg_ctl` from `PATH` or
//! `/usr/lib/postgresql/*/bin`).
//!
//! Layout under `<data_dir>/postgres/` (mode 700):
//! - `data/` — the cluster (PGDATA); `server.log` — its log (both owned by the cluster's
//!   user; see below for when they live elsewhere);
//! - `superuser.password` — the random password of the cluster's `postgres` superuser;
//! - `port` — the loopback TCP port last used;
//! - `cluster.lock` — held exclusively while a process starts or stops the server;
//! - `cluster.users` — every process using the server holds a shared lock on it.
//!
//! The server listens on 127.0.0.1 only (no unix socket: paths under a deep data folder can
//! exceed the socket path limit), with scram-sha-256 password authentication.
//!
//! When the process runs as root (normal on servers), `initdb` and `pg_ctl` refuse to run, so
//! they run as an unprivileged system user: `postgres` when it exists, else a `pharmacy-ingest`
//! system user created with `useradd`. Privileges are dropped with std's
//! [`std::os::unix::process::CommandExt::uid`]/`gid`. That user must be able to reach PGDATA:
//! when the data folder lies below a folder it cannot traverse (a clone under `/root`, mode
//! 700), PGDATA and the server log go to `/var/lib/pharmacy-ingest/<hash of the data folder>/`
//! instead, and `<data_dir>/postgres/` keeps only the password, port and lock files.
//!
//! [`Cluster::start_or_reuse`] reuses a server another pharmacy-ingest process (e.g. a running
//! worker) has already started instead of starting a second one. When a process is done
//! ([`Cluster::stop`] or drop) it stops the server (`pg_ctl stop -m fast`) only if no other
//! process still uses it (nobody else holds `cluster.users`): a short `db status` next to a
//! running worker leaves the worker's server alone, and the last user out stops it — also a
//! server left behind by a killed process (whose locks the kernel released).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Name of the system user created to run the cluster when running as root and no `postgres`
/// user exists.
pub const SYSTEM_USER: &str = "pharmacy-ingest";

/// Why the embedded cluster could not be prepared or started.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No `initdb`/`pg_ctl` on `PATH` nor under `/usr/lib/postgresql/*/bin`.
    #[error(
        "PostgreSQL is not installed: no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin \
         (install the PostgreSQL server package, or set DATABASE_URL to use an existing server)"
    )]
    NotInstalled,
    /// A file or folder of the cluster could not be created, read or changed.
    #[error("embedded database: {what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Running as root, and no unprivileged user could be found or created to run PostgreSQL.
    #[error(
        "running as root, PostgreSQL must run as another user, and neither `postgres` nor \
         `{SYSTEM_USER}` exists or could be created: {0}"
    )]
    NoUser(String),
    /// The cluster's user cannot reach the data folder (a parent folder is not searchable).
    #[error(
        "the database user `{user}` cannot reach {path}: make its parent folders searchable \
         (chmod o+x) or choose another --data-dir"
    )]
    Unreachable {
        /// The unprivileged user.
        user: String,
        /// The folder it cannot reach.
        path: PathBuf,
    },
    /// `initdb` or `pg_ctl` failed.
    #[error("{tool} failed ({status}); see {log}")]
    Tool {
        /// Which program.
        tool: &'static str,
        /// Its exit status.
        status: String,
        /// Where its output went.
        log: PathBuf,
    },
    /// A running cluster's `postmaster.pid` could not be understood.
    #[error("cannot tell which port the running database uses ({0}/postmaster.pid)")]
    UnknownPort(PathBuf),
}

type Result<T> = std::result::Result<T, ClusterError>;

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + use<> {
    let path = path.to_path_buf();
    move |source| ClusterError::Io { what, path, source }
}

/// Tuning for a cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Trade durability for speed (`fsync=off` and friends). For test clusters only.
    pub ephemeral: bool,
}

/// An unprivileged user the server runs as.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

/// A running embedded cluster (started by this process, or reused).
#[derive(Debug)]
pub struct Cluster {
    root: PathBuf,
    /// Folder of PGDATA and the server log, owned by the cluster's user (usually `root`).
    pg_home: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<RunAs>,
    port: u16,
    password: String,
    started_here: bool,
    /// Shared lock on `cluster.users` while this process uses the server.
    users: Option<File>,
}

impl Cluster {
    /// Make sure the cluster under `<data_dir>/postgres` exists and runs; start it if needed.
    /// Blocking (runs `initdb`/`pg_ctl`); call from `spawn_blocking` in async code.
    pub fn start_or_reuse(data_dir: &Path, opts: &ClusterOptions) -> Result<Cluster> {
        let bin_dir = find_bin_dir()?;
        let run_as = if running_as_root() {
            Some(unprivileged_user()?)
        } else {
            None
        };
        fs::create_dir_all(data_dir).map_err(io_err("cannot create", data_dir))?;
        let data_dir = data_dir
            .canonicalize()
            .map_err(io_err("cannot resolve", data_dir))?;
        let root = data_dir.join("postgres");
        fs::create_dir_all(&root).map_err(io_err("cannot create", &root))?;
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700))
            .map_err(io_err("cannot restrict", &root))?;
        let pg_home = match &run_as {
            None => root.clone(),
            Some(u) => match check_reachable(&root, u) {
                Ok(()) => {
                    std::os::unix::fs::chown(&root, Some(u.uid), Some(u.gid))
                        .map_err(io_err("cannot hand over", &root))?;
                    root.clone()
                }
                Err(e) => {
                    let home = fallback_home(&root, u)?;
                    tracing::debug!(
                        reason = %e,
                        pgdata = %home.display(),
                        "the database user cannot reach the data folder; keeping the cluster elsewhere"
                    );
                    home
                }
            },
        };

        let lock = lock_file(&root.join("cluster.lock"))?;

        let mut cluster = Cluster {
            root,
            pg_home,
            bin_dir,
            run_as,
            port: 0,
            password: String::new(),
            started_here: false,
            users: None,
        };
        if !cluster.data().join("PG_VERSION").exists() {
            cluster.init(opts)?;
        }
        let pw_path = cluster.root.join("superuser.password");
        cluster.password = fs::read_to_string(&pw_path)
            .map_err(io_err("cannot read", &pw_path))?
            .trim()
            .to_string();
        if cluster.is_running()? {
            cluster.port = cluster.running_port()?;
            tracing::info!(port = cluster.port, "reusing the embedded database cluster");
        } else {
            cluster.port = cluster.pick_port();
            cluster.start()?;
            cluster.started_here = true;
            tracing::info!(port = cluster.port, "started the embedded database cluster");
        }
        let users_path = cluster.root.join("cluster.users");
        let users = open_lock_file(&users_path)?;
        users
            .lock_shared()
            .map_err(io_err("cannot lock", &users_path))?;
        cluster.users = Some(users);
        drop(lock);
        Ok(cluster)
    }

    /// Where the cluster lives (`<data_dir>/postgres`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether this process started the server (rather than reusing a running one).
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// The superuser URL of database `dbname` (contains the password: never print it).
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{}",
            self.password, self.port, dbname
        )
    }

    /// This process is done with the server: stop it unless another process still uses it.
    /// Blocking. Idempotent.
    pub fn stop(&mut self) -> Result<()> {
        let Some(users) = self.users.take() else {
            return Ok(());
        };
        let lock = lock_file(&self.root.join("cluster.lock"))?;
        drop(users);
        let users_path = self.root.join("cluster.users");
        let users = open_lock_file(&users_path)?;
        match users.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::info!("the embedded database cluster is still in use; left running");
                return Ok(());
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io_err("cannot lock", &users_path)(e));
            }
        }
        if !self.is_running()? {
            return Ok(());
        }
        let log = self.pg_home.join("server.log");
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(io_err("cannot run pg_ctl in", &self.bin_dir))?;
        drop(users);
        drop(lock);
        if !status.success() {
            return Err(ClusterError::Tool {
                tool: "pg_ctl stop",
                status: status.to_string(),
                log,
            });
        }
        tracing::info!("stopped the embedded database cluster");
        Ok(())
    }

    /// Hand the stopping over to a small watchdog process that stops the server once this
    /// process has exited. For long-lived statics (the test harness) whose destructors never
    /// run. Does nothing when this process did not start the server (its starter stops it).
    pub fn stop_when_process_exits(mut self) -> Result<()> {
        if !self.started_here {
            // Stay a user for the life of the process; the server's other users stop it.
            if let Some(users) = self.users.take() {
                std::mem::forget(users);
            }
            return Ok(());
        }
        let pid = std::process::id();
        let pg_ctl = self.bin_dir.join("pg_ctl");
        let script = format!(
            "while [ -d /proc/{pid} ]; do sleep 1; done; exec \"$0\" -D \"$1\" -m fast -w stop"
        );
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(script)
            .arg(&pg_ctl)
            .arg(self.data())
            .current_dir(&self.pg_home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        if let Some(u) = &self.run_as {
            cmd.uid(u.uid).gid(u.gid);
        }
        cmd.spawn()
            .map_err(io_err("cannot start the watchdog in", &self.root))?;
        // The watchdog owns the stop now; keep the shared lock for the life of the process.
        if let Some(users) = self.users.take() {
            std::mem::forget(users);
        }
        Ok(())
    }

    /// PGDATA.
    pub fn data(&self) -> PathBuf {
        self.pg_home.join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(tool));
        cmd.current_dir(&self.pg_home)
            .env_remove("PGDATA")
            .env_remove("PGPORT")
            .env("LC_ALL", "C");
        if let Some(u) = &self.run_as {
            cmd.uid(u.uid).gid(u.gid);
        }
        cmd
    }

    fn init(&self, opts: &ClusterOptions) -> Result<()> {
        let password = uuid::Uuid::new_v4().simple().to_string();
        let pw_path = self.root.join("superuser.password");
        write_private(&pw_path, &password, None)?;
        // initdb reads the password as the cluster user, from a file only it can read.
        let tmp_pw = self.pg_home.join("initdb.pw");
        write_private(&tmp_pw, &password, self.run_as.as_ref())?;
        let log = self.root.join("initdb.log");
        let log_file = File::create(&log).map_err(io_err("cannot create", &log))?;
        let log_err = log_file.try_clone().map_err(io_err("cannot write", &log))?;
        let status = self
            .command("initdb")
            .arg("-D")
            .arg(self.data())
            .args([
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--no-locale",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
            ])
            .arg(format!("--pwfile={}", tmp_pw.display()))
            .stdout(log_file)
            .stderr(log_err)
            .status()
            .map_err(io_err("cannot run initdb in", &self.bin_dir))?;
        let _ = fs::remove_file(&tmp_pw);
        if !status.success() {
            let _ = fs::remove_dir_all(self.data());
            return Err(ClusterError::Tool {
                tool: "initdb",
                status: status.to_string(),
                log,
            });
        }
        let mut conf = String::from(
            "\n# pharmacy-ingest embedded cluster\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = ''\n\
             max_connections = 200\n",
        );
        if opts.ephemeral {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let conf_path = self.data().join("postgresql.conf");
        OpenOptions::new()
            .append(true)
            .open(&conf_path)
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(io_err("cannot configure", &conf_path))?;
        tracing::info!(dir = %self.root.display(), "created the embedded database cluster");
        Ok(())
    }

    fn is_running(&self) -> Result<bool> {
        if !self.data().join("postmaster.pid").exists() {
            return Ok(false);
        }
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(io_err("cannot run pg_ctl in", &self.bin_dir))?;
        Ok(status.success())
    }

    /// The port from line 4 of `postmaster.pid`.
    fn running_port(&self) -> Result<u16> {
        let pid_file = self.data().join("postmaster.pid");
        let text = fs::read_to_string(&pid_file).map_err(io_err("cannot read", &pid_file))?;
        text.lines()
            .nth(3)
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| ClusterError::UnknownPort(self.data()))
    }

    /// The port used last time if it is still free, else a fresh free loopback port.
    fn pick_port(&self) -> u16 {
        let port_file = self.root.join("port");
        let last: Option<u16> = fs::read_to_string(&port_file)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        if let Some(p) = last
            && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
        {
            return p;
        }
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(54329);
        let _ = fs::write(&port_file, port.to_string());
        port
    }

    fn start(&self) -> Result<()> {
        let log = self.pg_home.join("server.log");
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o"])
            .arg(format!("-p {}", self.port))
            .arg("start")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(io_err("cannot run pg_ctl in", &self.bin_dir))?;
        if !status.success() {
            return Err(ClusterError::Tool {
                tool: "pg_ctl start",
                status: status.to_string(),
                log,
            });
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "could not stop the embedded database cluster");
        }
    }
}

fn open_lock_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_err("cannot open", path))
}

/// Open `path` and hold an exclusive lock on it until the file is dropped.
fn lock_file(path: &Path) -> Result<File> {
    let f = open_lock_file(path)?;
    f.lock().map_err(io_err("cannot lock", path))?;
    Ok(f)
}

/// Write a file only its owner can read; hand it to `owner` when given.
fn write_private(path: &Path, content: &str, owner: Option<&RunAs>) -> Result<()> {
    let _ = fs::remove_file(path);
    let mut f = OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err("cannot create", path))?;
    f.write_all(content.as_bytes())
        .map_err(io_err("cannot write", path))?;
    if let Some(u) = owner {
        std::os::unix::fs::chown(path, Some(u.uid), Some(u.gid))
            .map_err(io_err("cannot hand over", path))?;
    }
    Ok(())
}

/// The folder holding `initdb` and `pg_ctl`: `PATH` first, then the newest
/// `/usr/lib/postgresql/<version>/bin`.
pub fn find_bin_dir() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Ok(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(ClusterError::NotInstalled)
}

/// Whether this process runs as root (`/proc/self` belongs to the effective user).
fn running_as_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// `postgres`, else [`SYSTEM_USER`] (created when missing).
fn unprivileged_user() -> Result<RunAs> {
    if let Some(u) = lookup_user("postgres").or_else(|| lookup_user(SYSTEM_USER)) {
        return Ok(u);
    }
    let out = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--user-group",
            "--shell",
            "/usr/sbin/nologin",
            SYSTEM_USER,
        ])
        .output()
        .map_err(|e| ClusterError::NoUser(format!("cannot run useradd: {e}")))?;
    if !out.status.success() && lookup_user(SYSTEM_USER).is_none() {
        return Err(ClusterError::NoUser(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    lookup_user(SYSTEM_USER).ok_or_else(|| ClusterError::NoUser("useradd made no user".into()))
}

/// A user from `/etc/passwd`.
fn lookup_user(name: &str) -> Option<RunAs> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != name {
            return None;
        }
        let _pw = f.next()?;
        let uid = f.next()?.parse().ok()?;
        let gid = f.next()?.parse().ok()?;
        (uid != 0).then(|| RunAs {
            name: name.to_string(),
            uid,
            gid,
        })
    })
}

/// Where PGDATA lives when `user` cannot reach `root`: a folder of its own under
/// `/var/lib/pharmacy-ingest`, named by a hash of `root`.
fn fallback_home(root: &Path, user: &RunAs) -> Result<PathBuf> {
    use sha2::Digest;
    let base = Path::new("/var/lib/pharmacy-ingest");
    fs::create_dir_all(base).map_err(io_err("cannot create", base))?;
    fs::set_permissions(base, fs::Permissions::from_mode(0o755))
        .map_err(io_err("cannot open up", base))?;
    let digest = sha2::Sha256::digest(root.as_os_str().as_encoded_bytes());
    let home = base.join(&hex::encode(digest)[..16]);
    fs::create_dir_all(&home).map_err(io_err("cannot create", &home))?;
    fs::set_permissions(&home, fs::Permissions::from_mode(0o700))
        .map_err(io_err("cannot restrict", &home))?;
    std::os::unix::fs::chown(&home, Some(user.uid), Some(user.gid))
        .map_err(io_err("cannot hand over", &home))?;
    check_reachable(&home, user)?;
    Ok(home)
}

/// Every ancestor of `dir` must be searchable by `user` (world-searchable, or its own).
fn check_reachable(dir: &Path, user: &RunAs) -> Result<()> {
    for anc in dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(anc) else {
            continue;
        };
        let mode = meta.mode();
        let ok = mode & 0o001 != 0
            || (meta.uid() == user.uid && mode & 0o100 != 0)
            || (meta.gid() == user.gid && mode & 0o010 != 0);
        if !ok {
            return Err(ClusterError::Unreachable {
                user: user.name.clone(),
                path: anc.to_path_buf(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_installed_postgresql() {
        // The machines this project builds on have PostgreSQL installed (README).
        let dir = find_bin_dir().expect("initdb and pg_ctl");
        assert!(dir.join("pg_ctl").is_file());
    }

    #[test]
    fn root_is_never_the_unprivileged_user() {
        assert!(lookup_user("root").is_none());
    }
}
