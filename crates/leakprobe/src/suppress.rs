//! `[[suppression]]` blocks of `leakprobe.toml` as the engine's suppressions
//! ([`leakprobe_engine::suppress`], which `leakprobe serve` applies to its targets too). Expired
//! suppressions stop suppressing and the CLI warns about them on stderr.
use leakprobe_engine::suppress::{Selector, SelectorError, Suppressions};

use crate::config_file::SuppressionOptions;
use crate::UsageError;

/// Checks every `[[suppression]]`: a selector, a known check id, a non-empty reason, a real date.
pub fn from_options(options: &[SuppressionOptions]) -> Result<Suppressions, UsageError> {
    let which = |i: usize| format!("[[suppression]] #{}", i + 1);
    let selectors = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let expires = o
                .expires
                .as_ref()
                .map(|e| e.to_day())
                .transpose()
                .map_err(|e| UsageError(format!("{}: {e}", which(i))))?;
            Ok(Selector {
                id: o.id.clone(),
                check: o.check.clone(),
                category: o.category,
                endpoint: o.endpoint.clone(),
                reason: o.reason.clone().unwrap_or_default(),
                expires,
            })
        })
        .collect::<Result<Vec<_>, UsageError>>()?;
    Suppressions::new(selectors).map_err(|(i, e)| match e {
        SelectorError::UnknownCheck(_) => UsageError(format!("{}: {e}", which(i))),
        SelectorError::NoReason | SelectorError::NoSelector => UsageError(format!("{} {e}", which(i))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_need_a_reason_and_a_selector() {
        let no_reason = SuppressionOptions { check: Some("server_version_disclosure".into()), ..Default::default() };
        let e = from_options(&[no_reason]).expect_err("no reason");
        assert_eq!(e.0, "[[suppression]] #1 needs a `reason`: say why the finding is accepted");
        let no_selector = SuppressionOptions { reason: Some("why".into()), ..Default::default() };
        assert!(from_options(&[no_selector]).is_err());
        let unknown = SuppressionOptions {
            check: Some("no_such_check".into()),
            reason: Some("why".into()),
            ..Default::default()
        };
        let e = from_options(&[unknown]).expect_err("unknown check");
        assert_eq!(e.0, "[[suppression]] #1: no check `no_such_check` (`leakprobe checks` lists them)");
    }
}
