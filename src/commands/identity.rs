//! Who runs an operator command, recorded as `created_by` / `reverted_by` (`cli:<name>`).
//!
//! First that gives a name: `--as NAME` (or `PHARMACY_INGEST_OPERATOR`), `SUDO_USER` (the
//! person behind `sudo`), `USER`, `LOGNAME`, then the OS account of the process's user id
//! (`/etc/passwd`), finally `uid:<n>`. So a service account, a container without `USER` or a
//! `sudo` session all record someone instead of `cli:unknown`.

use std::os::unix::fs::MetadataExt;

/// The operator's name for the audit columns, `cli:<name>`.
pub fn operator(given: Option<&str>) -> String {
    let env = |k: &str| std::env::var(k).ok();
    format!("cli:{}", resolve(given, &env, os_user))
}

/// The name by the order above; `env` and `os` are the environment and the account lookup.
fn resolve(
    given: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    os: fn() -> Option<String>,
) -> String {
    let clean = |s: Option<String>| {
        s.map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
    };
    if let Some(name) = clean(given.map(str::to_string)) {
        return name;
    }
    if let Some(sudo) = clean(env("SUDO_USER")).filter(|u| u != "root") {
        return sudo;
    }
    clean(env("USER"))
        .or_else(|| clean(env("LOGNAME")))
        .or_else(|| clean(os()))
        .unwrap_or_else(|| match uid() {
            Some(u) => format!("uid:{u}"),
            None => "unknown".into(),
        })
}

/// The effective user id of this process (the owner of `/proc/self`).
fn uid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// The account name of [`uid`] in `/etc/passwd`.
fn os_user() -> Option<String> {
    let uid = uid()?.to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _pw = f.next()?;
        (f.next()? == uid).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn no_os() -> Option<String> {
        None
    }

    fn os_alice() -> Option<String> {
        Some("alice".into())
    }

    #[test]
    fn the_flag_wins_then_sudo_then_user_then_the_account() {
        let env = env_of(&[("USER", "bob"), ("SUDO_USER", "carol")]);
        assert_eq!(resolve(Some("dana"), &env, no_os), "dana");
        assert_eq!(resolve(Some("  "), &env, no_os), "carol");
        assert_eq!(resolve(None, &env, no_os), "carol");
        let root_sudo = env_of(&[("USER", "root"), ("SUDO_USER", "root")]);
        assert_eq!(resolve(None, &root_sudo, no_os), "root");
        let logname = env_of(&[("LOGNAME", "erin")]);
        assert_eq!(resolve(None, &logname, os_alice), "erin");
        let nothing = env_of(&[("USER", "")]);
        assert_eq!(resolve(None, &nothing, os_alice), "alice");
        assert!(resolve(None, &nothing, no_os).starts_with("uid:"));
    }

    #[test]
    fn this_process_has_an_account_or_a_uid() {
        let name = operator(None);
        assert!(name.starts_with("cli:") && name.len() > 4, "{name}");
        assert_ne!(name, "cli:unknown");
    }
}
