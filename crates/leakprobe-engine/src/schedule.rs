//! The scan's request budget, spent by risk.
//!
//! Checks do not cap themselves: each asks [`ScanContext::plan`] which endpoints to spend requests
//! on, and gets them most promising first, within what the budget allows.
//!
//! (Interface placeholder: ordering, budget shares and coverage accounting are being built.)
use crate::checks::CheckInfo;
use crate::context::ScanContext;
use crate::inventory::Endpoint;

/// The placeholder's cap, the same as the per-check caps it replaces.
const PLACEHOLDER_CAP: usize = 40;

impl ScanContext {
    /// The endpoints `check` should probe, most promising first, out of `candidates`.
    pub fn plan<'a>(
        &'a self,
        _check: &'static CheckInfo,
        candidates: impl IntoIterator<Item = &'a Endpoint>,
    ) -> Vec<&'a Endpoint> {
        candidates.into_iter().take(PLACEHOLDER_CAP).collect()
    }
}
