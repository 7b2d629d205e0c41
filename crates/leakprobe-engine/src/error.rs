use thiserror::Error;

/// Why a scan could not start or went no further. Partial results are not errors: they are
/// reported with `coverage.incomplete`.
#[derive(Debug, Error)]
pub enum ScanError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot reach the target: {0}")]
    Unreachable(String),
    #[error("the target did not answer: {0}")]
    NoAnswer(String),
    #[error("refused to leave the target's origin: {0}")]
    OutOfScope(String),
    #[error("invalid API spec: {0}")]
    Spec(String),
    #[error("login failed: {0}")]
    Login(String),
    #[error("request budget exhausted")]
    Budget,
    #[error("time limit reached")]
    TimeLimit,
    /// Refused by the client's state guard: the request may change the target's state.
    #[error("not sent: {0}")]
    NotSent(String),
}
