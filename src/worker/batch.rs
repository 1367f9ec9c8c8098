//! Group commit of small jobs ([`crate::import::batch`]): a planned small job joins a queue of
//! jobs waiting for their transaction; whichever waiting job gets one of the
//! [`BATCH_TRANSACTIONS`] turns takes what is queued (up to `max` jobs, oldest first) and
//! writes it in one transaction, then hands each job its result. When the worker is idle a job
//! finds a free turn at once and is written alone (the same statements as before, no wait);
//! under a backlog the turns are busy, jobs gather, and each commit carries several.
//!
//! A batch that fails commits nothing and each of its jobs is written alone afterwards (see
//! [`crate::import::batch`]); a batch of one that fails is that job's failure, handled as a
//! lone write's. If the job leading a batch is abandoned (shutdown grace ran out, its timeout)
//! its transaction rolls back and the jobs it carried fail transiently, to run again.

use crate::import::batch::{Entry, commit_batch};
use crate::import::job::{CommitError, Hooks};
use crate::import::write::ClaimedJob;
use crate::import::{ImportOutcome, ImportRequest};
use crate::read::content::Owned;
use crate::schedule::Plan;
use sqlx::{PgConnection, PgPool};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, oneshot};

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
    /// The store numbers its import writes (the request's store overrides the file's).
    fn stores(&self) -> Vec<i32> {
        let shifts = self.planned.as_ref().map(|p| &p.shifts[..]).unwrap_or(&[]);
        let mut stores: Vec<i32> = shifts
            .iter()
            .map(|s| self.request.store_number.unwrap_or(s.store_number))
            .collect();
        stores.sort_unstable();
        stores.dedup();
        stores
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
    /// The job leading its batch was abandoned; nothing committed.
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

/// The small jobs waiting for a transaction, and the turns to write them.
pub struct Group {
    waiting: Mutex<VecDeque<Waiting>>,
    turns: Semaphore,
    /// Jobs in one transaction at most.
    max: usize,
}

impl Group {
    pub fn new(max: usize) -> Self {
        Group {
            waiting: Mutex::new(VecDeque::new()),
            turns: Semaphore::new(BATCH_TRANSACTIONS),
            max: max.max(1),
        }
    }

    /// Write `small` (alone or with others) and return it with how that ended.
    pub async fn write(&self, pool: &PgPool, small: Small) -> (Small, Written) {
        let (reply, mut written) = oneshot::channel();
        self.lock().push_back((small, reply));
        loop {
            tokio::select! {
                biased;
                done = &mut written => return done.expect("every batch replies to each job"),
                turn = self.turns.acquire() => {
                    let _turn = turn.expect("the turns are never closed");
                    let batch = self.take();
                    if batch.is_empty() {
                        // Another turn took this job: wait for its result.
                        drop(_turn);
                        return written.await.expect("every batch replies to each job");
                    }
                    write_batch(pool, batch).await;
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Waiting>> {
        self.waiting
            .lock()
            .expect("the waiting list's lock is never poisoned")
    }

    /// The oldest waiting jobs, up to `max`, no two writing the same store (so their shifts
    /// share one statement; a job of a store already taken waits for the next turn, after
    /// the one before it). A job whose attempt was abandoned while it waited (its timeout,
    /// shutdown) is dropped, never written.
    fn take(&self) -> Vec<Waiting> {
        let mut waiting = self.lock();
        waiting.retain(|(_, reply)| !reply.is_closed());
        let mut stores = HashSet::new();
        let mut taken = Vec::new();
        let mut left = VecDeque::with_capacity(waiting.len());
        for w in waiting.drain(..) {
            let own = w.0.stores();
            if taken.len() < self.max && own.iter().all(|n| !stores.contains(n)) {
                stores.extend(own);
                taken.push(w);
            } else {
                left.push_back(w);
            }
        }
        *waiting = left;
        taken
    }
}

/// Write `batch` in one transaction and reply to each job. A job whose leader is dropped
/// mid-write gets [`Written::Lost`] (its reply is sent by [`Replies`]'s drop).
async fn write_batch(pool: &PgPool, batch: Vec<Waiting>) {
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

/// The jobs of a batch being written; dropped unanswered (the leader abandoned), each is told
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
