//! The hash an unknown user is verified against, so that "no such user" costs what a
//! wrong password costs. Stored hashes may be stronger than our own parameters (a
//! bootstrap `password_hash`, within [`super::is_valid_phc`]'s bounds), so the dummy
//! follows the strongest parameters seen: at start-up from the bootstrap file, and
//! from every hash read at login. It is only ever raised, never lowered.

use std::sync::{Arc, Mutex, MutexGuard};

use argon2::password_hash::PasswordHash;
use argon2::Params;

pub(super) struct DummyHash {
    state: Mutex<State>,
}

struct State {
    phc: Arc<str>,
    cost: u64,
    /// The cost an upgrade under way works towards, so one is started per level.
    pending: u64,
}

/// What a verification costs: Argon2 fills `m` blocks `t` times (lanes are computed
/// one after the other here, so `p` does not change the total).
pub(super) fn cost(params: &Params) -> u64 {
    u64::from(params.m_cost()) * u64::from(params.t_cost())
}

/// The parameters of `phc` when it is a hash we would verify.
pub(super) fn params_of(phc: &str) -> Option<Params> {
    if !super::is_valid_phc(phc) {
        return None;
    }
    Params::try_from(&PasswordHash::new(phc).ok()?).ok()
}

impl DummyHash {
    /// `phc` must be one of our own hashes.
    pub(super) fn new(phc: String) -> Self {
        let cost = params_of(&phc).map_or(0, |params| cost(&params));
        Self { state: Mutex::new(State { phc: phc.into(), cost, pending: cost }) }
    }

    // A poisoned lock only means a panic between two plain assignments.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn current(&self) -> Arc<str> {
        self.state().phc.clone()
    }

    /// The parameters of `stored` when they cost more than the dummy and than any
    /// upgrade under way; the caller then owes [`Self::install`] or [`Self::abandon`].
    pub(super) fn claim_upgrade(&self, stored: &str) -> Option<Params> {
        let params = params_of(stored)?;
        let wanted = cost(&params);
        let mut state = self.state();
        if wanted <= state.pending {
            return None;
        }
        state.pending = wanted;
        Some(params)
    }

    /// Makes `phc` (hashed with claimed parameters) the dummy, unless a stronger one
    /// was installed meanwhile.
    pub(super) fn install(&self, phc: String) {
        let Some(params) = params_of(&phc) else { return };
        let mut state = self.state();
        if cost(&params) > state.cost {
            state.cost = cost(&params);
            state.phc = phc.into();
        }
    }

    /// An upgrade to `params` failed: a later sighting may try again.
    pub(super) fn abandon(&self, params: &Params) {
        let mut state = self.state();
        if state.pending == cost(params) {
            state.pending = state.cost;
        }
    }
}
