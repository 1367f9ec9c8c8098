#!/usr/bin/env python3
"""Write fixtures/supabase/: Supabase's own SQL that bootstraps a database as a hosted project
has it (roles anon/authenticated/service_role/authenticator/supabase_admin..., the `auth` and
`storage` schemas, default privileges, the `supabase_realtime` publication, `postgres` demoted
to NOSUPERUSER CREATEROLE BYPASSRLS) plus `auth.jwt()` from the Supabase Auth migrations.

Usage: scripts/make_supabase_fixture.py POSTGRES_GIT_DIR AUTH_GIT_DIR
  (bare clones of github.com/supabase/postgres and github.com/supabase/auth, e.g. the
  mirrors made by `fetch github:supabase/postgres`).

Files are copied verbatim from the repositories' HEAD, except statements that need an
extension this machine's PostgreSQL does not ship; those are commented out with the reason
(see SKIPPED). `manifest.txt` lists the files in order with the role each runs as, as
supabase/postgres's migrations/db/migrate.sh runs them (init scripts as `postgres`, then
migrations as `supabase_admin`); the Auth migration runs as `supabase_auth_admin`, as
Supabase Auth (GoTrue) runs its own migrations.
"""

import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "supabase"

# (file name, exact statement, reason)
SKIPPED = [
    ("00000000000000-initial-schema.sql",
     'create extension if not exists pgjwt            with schema extensions;',
     "pgjwt is not shipped with Debian's PostgreSQL"),
    ("20220118070449_enable-safeupdate-postgrest.sql",
     "ALTER ROLE authenticator SET session_preload_libraries = 'safeupdate';",
     "the safeupdate library is not installed (authenticator could not log in)"),
    ("20230529180330_alter_api_roles_for_inherit.sql",
     "GRANT pgsodium_keyholder to service_role;",
     "pgsodium is not installed (its roles do not exist)"),
]

AUTH_JWT = "migrations/20220531120530_add_auth_jwt_function.up.sql"


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def header(repo_name, commit, path, licence):
    return (f"-- Source: https://github.com/{repo_name} @ {commit}, {path}\n"
            f"-- Licence: {licence}. Copied by scripts/make_supabase_fixture.py.\n\n")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pg_repo, auth_repo = sys.argv[1], sys.argv[2]
    pg_commit = git(pg_repo, "rev-parse", "HEAD").strip()
    auth_commit = git(auth_repo, "rev-parse", "HEAD").strip()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.sql"):
        old.unlink()
    manifest = []
    paths = [p for p in git(pg_repo, "ls-tree", "-r", "--name-only", "HEAD",
                            "migrations/db/init-scripts", "migrations/db/migrations").split()
             if p.endswith(".sql")]
    n = 0
    for path in paths:
        name = path.rsplit("/", 1)[1]
        text = git(pg_repo, "show", f"HEAD:{path}")
        for fname, stmt, reason in SKIPPED:
            if fname == name:
                if stmt not in text:
                    sys.exit(f"{name}: statement to skip not found: {stmt}")
                text = text.replace(stmt, f"-- pharmacy-ingest: skipped ({reason}): {stmt}")
        n += 1
        out = f"{n:03d}-{name}"
        (OUT / out).write_text(header("supabase/postgres", pg_commit, path,
                                      "PostgreSQL License, (c) 2020 Supabase") + text)
        role = "postgres" if "/init-scripts/" in path else "supabase_admin"
        manifest.append(f"{out} {role}")
    text = git(auth_repo, "show", f"HEAD:{AUTH_JWT}").replace('{{ index .Options "Namespace" }}',
                                                             "auth")
    n += 1
    out = f"{n:03d}-auth-{AUTH_JWT.rsplit('/', 1)[1]}"
    (OUT / out).write_text(header("supabase/auth", auth_commit, AUTH_JWT,
                                  "MIT, (c) 2021-2025 Supabase") + text)
    manifest.append(f"{out} supabase_auth_admin")
    (OUT / "manifest.txt").write_text("\n".join(manifest) + "\n")
    skipped = "\n".join(f"- `{f}`: `{s}` — {r}" for f, s, r in SKIPPED)
    (OUT / "README.md").write_text(f"""# Supabase bootstrap SQL (test fixture)

Made by `scripts/make_supabase_fixture.py` from:

- https://github.com/supabase/postgres @ `{pg_commit}`: `migrations/db/init-scripts/*.sql`
  and `migrations/db/migrations/*.sql` (PostgreSQL License, Copyright (c) 2020, Supabase);
- https://github.com/supabase/auth @ `{auth_commit}`: `{AUTH_JWT}` (`auth.jwt()`,
  the template namespace set to `auth`; MIT License, Copyright (c) 2021-2025 Supabase).

`manifest.txt` gives the order and the role each file runs as (that of supabase/postgres's
`migrate.sh`). `tests/it/supabase.rs` runs them on a cluster of its own.

Statements skipped because they need something Debian's PostgreSQL 15 does not ship
(everything else that needs pg_graphql, pg_cron, pg_net, pgsodium, supabase_vault or
supautils is already guarded by Supabase's own `pg_available_extensions` checks):

{skipped}
""")


if __name__ == "__main__":
    main()
