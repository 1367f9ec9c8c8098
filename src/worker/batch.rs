//! Group commit of small jobs ([`crate::import::batch`]): a planned small job joins a list of
//! jobs waiting for their transaction; one of [`BATCH_TRANSACTIONS`] writer tasks takes what
//! is waiting (up to `max` jobs, oldest first, no two of one store and none of a store another
//! writer is writing) and writes it in one transaction, then hands each job its result. When
//! the worker is idle a job writes itself at once, on its own task (a batch of one: one
//! statement fewer than a lone import); under a backlog the writers are busy, jobs gather, and
//! each commit carries several.
//!
//! A batch that fails commits nothing and each of its jobs is written alone afterwards (see
//! [`crate::import::batch`]); a batch of one that fails is that job's failure, handled as a
//! lone write's. A job abandoned while it waits (its timeout, shutdown) is never written; one
//! abandoned while its batch is written lands or not with the batch, and the job row says
//! which (the completion and the runner's failure both need the claim).

use crate::import::batch::{Entry, commit_batch, stores_of};
use crate::import::job::{CommitError, Hooks};
use crate::import::write::ClaimedJob;
use crate::import::{ImportOutcome, ImportRequest};
use crate::read::content::Owned;
use crate::schedule::Plan;
use sqlx::{PgConnection, PgPool};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{Notify, oneshot};

/// Transactions of small jobs open at once in one worker process: enough to keep both the
/// worker and the database busy (one waits for the other's round trip), few enough that a
/// backlog gathers into batches.
pub const BATCH_TRANSACTIONS: usize = 4;

/// A planned small job, ready for its transaction.
pub struct Small {
    pub request: ImportRequest,
    pub content: Arc<Owned>,
    /// The plan, or the message of why the file was refused.
    pub planned: Result<Plan, String>,
    pub hooks: SmallHooks,
}

impl Small {
    fn stores(&self) -> Vec<i32> {
        stores_of(&self.request, &self.planned)
    }
}

/// How a small job's write ended; the job gets its [`Small`] back with it.
pub enum Written {
    /// Committed (alone or with others).
    Committed(Box<ImportOutcome>),
    /// Written alone and failed: nothing committed.
    Failed(CommitError<String>),
    /// Its batch failed for another job's sake (or its own): write it alone.
    Alone,
    /// The writer of its batch stopped mid-write (the process is ending); nothing committed.
    Lost,
}

/// The small job's part of the transaction: its claim, completed by the import's last
/// statement, and, for an inbox file, the check that it still has the queued content.
pub struct SmallHooks {
    pub job: ClaimedJob,
    pub inbox: Option<super::attempt::InboxCheck>,
}

impl Hooks for SmallHooks {
    /// Why the job's input went back (its inbox file changed).
    type Stop = String;

    fn job(&self) -> Option<ClaimedJob> {
        Some(self.job)
    }

    /// A small job's write is one short batch: the completion is the claim check.
    async fn before_write(&self, _: &mut PgConnection, _: usize) -> Result<(), String> {
        Ok(())
    }

    async fn before_commit(&self, _: &mut PgConnection, _: &ImportOutcome) -> Result<(), String> {
        match &self.inbox {
            Some(check) => check.changed().await.map_or(Ok(()), Err),
            None => Ok(()),
        }
    }
}

type Waiting = (Small, oneshot::Sender<(Small, Written)>);

/// The small jobs waiting for a transaction, and the stores being written by this process's
/// batches now.
#[derive(Default)]
struct State {
    waiting: VecDeque<Waiting>,
    writing: HashSet<i32>,
    /// Batches being written.
    batches: usize,
    /// The group is gone: its writers stop.
    closed: bool,
}

/// What the writers and the jobs share.
struct Shared {
    state: Mutex<State>,
    /// Wakes one writer: a job arrived, or a batch ended with jobs left waiting.
    wake: Notify,
    /// Jobs in one transaction at most.
    max: usize,
}

/// The small jobs waiting for a transaction, and the [`BATCH_TRANSACTIONS`] writers (tasks
/// started with the first job) that write them.
pub struct Group {
    shared: Arc<Shared>,
    started: OnceLock<()>,
}

impl Group {
    pub fn new(max: usize) -> Self {
        Group {
            shared: Arc::new(Shared {
                state: Mutex::default(),
                wake: Notify::new(),
                max: max.max(1),
            }),
            started: OnceLock::new(),
        }
    }

    /// Write `small` (alone or with others) and return it with how that ended.
    pub async fn write(&self, pool: &PgPool, small: Small) -> (Small, Written) {
        if let Some(batch) = self.shared.take_idle(&small) {
            // Nothing waits and nothing is being written: the job writes itself, on its own
            // task (no hand-over to a writer and back on an idle worker's way).
            let (reply, written) = oneshot::channel();
            write_batch(pool, vec![(small, reply)]).await;
            drop(batch);
            return written.await.expect("every batch replies to each job");
        }
        self.started.get_or_init(|| {
            for _ in 0..BATCH_TRANSACTIONS {
                tokio::spawn(writer(self.shared.clone(), pool.clone()));
            }
        });
        let (reply, written) = oneshot::channel();
        self.shared.lock().waiting.push_back((small, reply));
        self.shared.wake.notify_one();
        written.await.expect("every batch replies to each job")
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_waiters();
    }
}

/// One writer: take a batch, write it, reply; sleep while there is nothing to take.
async fn writer(shared: Arc<Shared>, pool: PgPool) {
    loop {
        // Listening before looking, so a job that arrives in between is not missed.
        let wake = shared.wake.notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        match shared.take() {
            Taken::Batch(mut batch) => write_batch(&pool, std::mem::take(&mut batch.jobs)).await,
            Taken::Nothing => wake.await,
            Taken::Closed => return,
        }
    }
}

enum Taken<'s> {
    Batch(Batch<'s>),
    Nothing,
    Closed,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .expect("the waiting list's lock is never poisoned")
    }

    /// A batch of `small` alone when the group is idle (no job waits, no batch is being
    /// written); `None` otherwise.
    fn take_idle(&self, small: &Small) -> Option<Batch<'_>> {
        let mut state = self.lock();
        if state.closed || state.batches > 0 || !state.waiting.is_empty() {
            return None;
        }
        let stores = small.stores();
        state.writing.extend(stores.iter().copied());
        state.batches += 1;
        Some(Batch {
            shared: self,
            jobs: Vec::new(),
            stores,
        })
    }

    /// The oldest waiting jobs, up to `max`, no two writing the same store and none a store
    /// another batch of this process is writing (so the batches never wait for each other's
    /// locks, and the shifts of one batch share one statement); a job of a store already
    /// taken waits for a later batch, behind the one before it. A job whose attempt was
    /// abandoned while it waited (its timeout, shutdown) is dropped, never written.
    fn take(&self) -> Taken<'_> {
        let mut state = self.lock();
        let State {
            waiting,
            writing,
            closed,
            batches,
        } = &mut *state;
        if *closed {
            return Taken::Closed;
        }
        waiting.retain(|(_, reply)| !reply.is_closed());
        let mut stores = Vec::new();
        let mut jobs = Vec::new();
        let mut left = VecDeque::with_capacity(waiting.len());
        for w in waiting.drain(..) {
            let own = w.0.stores();
            if jobs.len() < self.max && own.iter().all(|n| !writing.contains(n)) {
                writing.extend(own.iter().copied());
                stores.extend(own);
                jobs.push(w);
            } else {
                left.push_back(w);
            }
        }
        *waiting = left;
        let more = !waiting.is_empty();
        if jobs.is_empty() {
            return Taken::Nothing;
        }
        *batches += 1;
        drop(state);
        if more {
            // Another writer may take what this batch left.
            self.wake.notify_one();
        }
        Taken::Batch(Batch {
            shared: self,
            jobs,
            stores,
        })
    }
}

/// A batch taken to be written: its stores are this process's until it is dropped, which
/// wakes a writer for the jobs that waited for them.
struct Batch<'s> {
    shared: &'s Shared,
    jobs: Vec<Waiting>,
    stores: Vec<i32>,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        for n in &self.stores {
            state.writing.remove(n);
        }
        state.batches -= 1;
        let more = !state.waiting.is_empty();
        drop(state);
        if more {
            self.shared.wake.notify_one();
        }
    }
}

/// Write `batch` in one transaction and reply to each job. If the writer is dropped mid-write,
/// each job gets [`Written::Lost`] (sent by [`Replies`]'s drop).
async fn write_batch(pool: &PgPool, batch: Vec<Waiting>) {
    let started = std::time::Instant::now();
    let jobs = batch.len();
    let mut replies = Replies(batch);
    let alone = replies.0.len() == 1;
    let entries = replies
        .0
        .iter_mut()
        .map(|(small, _)| Entry {
            req: &small.request,
            content: small.content.content(),
            // A lone job's plan is written once; a batch keeps each plan for a retry alone.
            planned: if alone {
                std::mem::replace(&mut small.planned, Err(String::new()))
            } else {
                small.planned.clone()
            },
            hooks: &small.hooks,
        })
        .collect();
    match commit_batch(pool, entries).await {
        Ok(outcomes) => {
            tracing::debug!(
                jobs,
                ms = started.elapsed().as_millis() as u64,
                "batch committed"
            );
            for ((small, reply), outcome) in replies.take().into_iter().zip(outcomes) {
                let _ = reply.send((small, Written::Committed(Box::new(outcome))));
            }
        }
        Err(failed) if alone => {
            let (small, reply) = replies.take().pop().expect("a lone job");
            let _ = reply.send((small, Written::Failed(failed.error)));
        }
        Err(failed) => {
            tracing::debug!(
                jobs = replies.0.len(),
                failed_at = ?failed.index,
                "a batch of small jobs failed; each is written alone"
            );
            for (small, reply) in replies.take() {
                let _ = reply.send((small, Written::Alone));
            }
        }
    }
}

/// The jobs of a batch being written; dropped unanswered (the writer stopped), each is told
/// [`Written::Lost`].
struct Replies(Vec<Waiting>);

impl Replies {
    fn take(&mut self) -> Vec<Waiting> {
        std::mem::take(&mut self.0)
    }
}

impl Drop for Replies {
    fn drop(&mut self) {
        for (small, reply) in self.0.drain(..) {
            let _ = reply.send((small, Written::Lost));
        }
    }
}
