//! API version rules: the model reads v1alpha5 and v1alpha6 as one superset, so a field
//! that exists only in v1alpha6 is unknown in a v1alpha5 document (the apiserver would prune
//! or reject it, and the guest would silently not get it). Which fields those are comes from
//! the one version table, [`crate::convert::history`].

use super::Ctx;
use crate::convert::history;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::ApiVersion;

pub(super) fn check(cx: &mut Ctx<'_>) {
    if cx.version != ApiVersion::V1alpha5 {
        return;
    }
    let Ok(mut doc) = serde_json::to_value(cx.vm) else {
        return;
    };
    for (path, _) in history::prune(&mut doc, ApiVersion::V1alpha5) {
        let (parent, field) = path.rsplit_once('.').unwrap_or(("", path.as_str()));
        let help = history::hint(ApiVersion::V1alpha5, parent, field)
            .unwrap_or_else(|| "this field does not exist in v1alpha5".into());
        cx.push(
            Diagnostic::new(
                Code::UnknownField,
                &path,
                format!("unknown field `{field}`"),
            )
            .with_help(help),
        );
    }
}
