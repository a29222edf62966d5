//! Which fields exist in which served version: the one table behind the version hints on
//! unknown fields ("this field exists only in v1alpha3 and later") and behind down-conversion
//! (a field the target version lacks is pruned, as vm-operator's generated conversion drops
//! it). Paths are `spec`-rooted with `[]` for list items; an entry covers its whole subtree.
//! The table is the difference between consecutive versions of the served CRD, and a
//! conformance test recomputes it from the CRD.

use crate::model::ApiVersion::{self, *};
use crate::source::Node;
use crate::source::node::NodeKind;
use serde_json::Value;

/// A field that some served versions lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub path: &'static str,
    /// First version with the field.
    pub since: ApiVersion,
    /// First version without it again (it was renamed or moved), if any.
    pub until: Option<ApiVersion>,
    /// Where later versions keep the value, for hints.
    pub instead: Option<&'static str>,
}

const fn f(path: &'static str, since: ApiVersion) -> Field {
    Field {
        path,
        since,
        until: None,
        instead: None,
    }
}

const fn gone(
    path: &'static str,
    since: ApiVersion,
    until: ApiVersion,
    instead: Option<&'static str>,
) -> Field {
    Field {
        path,
        since,
        until: Some(until),
        instead,
    }
}

/// Every `spec` field whose presence differs between v1alpha1 and v1alpha6, topmost only.
pub const FIELDS: &[Field] = &[
    f("spec.advanced", V1alpha2),
    f("spec.advanced.cpuAffinityExclusiveNoStatsEnabled", V1alpha6),
    f("spec.advanced.extraConfig", V1alpha6),
    f("spec.advanced.hugePages1GEnabled", V1alpha6),
    f("spec.advanced.pnumaNodeAffinity", V1alpha6),
    f("spec.advanced.preferHtEnabled", V1alpha6),
    f("spec.advanced.timeTrackerLowLatencyEnabled", V1alpha6),
    f("spec.advanced.vmxSwapEnabled", V1alpha6),
    gone(
        "spec.advancedOptions",
        V1alpha1,
        V1alpha2,
        Some("spec.advanced"),
    ),
    f("spec.affinity", V1alpha2),
    f("spec.biosUUID", V1alpha3),
    f("spec.bootOptions", V1alpha5),
    f("spec.bootstrap", V1alpha2),
    f("spec.bootstrap.cloudInit.instanceID", V1alpha3),
    f("spec.bootstrap.cloudInit.waitOnNetwork4", V1alpha5),
    f("spec.bootstrap.cloudInit.waitOnNetwork6", V1alpha5),
    f("spec.bootstrap.disabled", V1alpha6),
    f("spec.bootstrap.linuxPrep.customizeAtNextPowerOn", V1alpha5),
    f(
        "spec.bootstrap.linuxPrep.expirePasswordAfterNextLogin",
        V1alpha5,
    ),
    f("spec.bootstrap.linuxPrep.password", V1alpha5),
    f("spec.bootstrap.linuxPrep.scriptText", V1alpha5),
    f("spec.bootstrap.sysprep.customizeAtNextPowerOn", V1alpha5),
    f(
        "spec.bootstrap.sysprep.sysprep.expirePasswordAfterNextLogin",
        V1alpha5,
    ),
    gone(
        "spec.bootstrap.sysprep.sysprep.identification.joinDomain",
        V1alpha2,
        V1alpha3,
        Some("spec.network.domainName"),
    ),
    f("spec.bootstrap.sysprep.sysprep.scriptText", V1alpha5),
    gone(
        "spec.cdrom",
        V1alpha3,
        V1alpha5,
        Some("spec.hardware.cdrom"),
    ),
    f("spec.class", V1alpha5),
    f("spec.cpuAdvanced", V1alpha6),
    f("spec.crypto", V1alpha2),
    f("spec.crypto.vTPMMode", V1alpha5),
    f("spec.currentSnapshotName", V1alpha5),
    f("spec.groupName", V1alpha2),
    f("spec.guestID", V1alpha3),
    f("spec.hardware", V1alpha5),
    f("spec.image", V1alpha3),
    f("spec.instanceUUID", V1alpha3),
    f("spec.memoryAdvanced", V1alpha6),
    f("spec.network", V1alpha2),
    f("spec.network.domainName", V1alpha3),
    f("spec.network.interfaces[].advancedProperties", V1alpha6),
    f("spec.network.interfaces[].ipamModes", V1alpha6),
    f("spec.network.interfaces[].type", V1alpha6),
    f("spec.network.interfaces[].vmxnet3", V1alpha6),
    f("spec.network.interfaces[].vnumaNodeID", V1alpha6),
    f("spec.network.vlans", V1alpha6),
    gone(
        "spec.networkInterfaces",
        V1alpha1,
        V1alpha2,
        Some("spec.network.interfaces"),
    ),
    f("spec.policies", V1alpha5),
    gone("spec.ports", V1alpha1, V1alpha2, None),
    f("spec.promoteDisksMode", V1alpha4),
    f("spec.readinessProbe.guestInfo", V1alpha2),
    f("spec.reserved", V1alpha2),
    gone(
        "spec.resourcePolicyName",
        V1alpha1,
        V1alpha2,
        Some("spec.reserved.resourcePolicyName"),
    ),
    f("spec.resources", V1alpha6),
    gone(
        "spec.vmMetadata",
        V1alpha1,
        V1alpha2,
        Some("spec.bootstrap"),
    ),
    f("spec.volumeAttributesClassName", V1alpha6),
    f("spec.volumes[].applicationType", V1alpha5),
    f("spec.volumes[].controllerBusNumber", V1alpha5),
    f("spec.volumes[].controllerType", V1alpha5),
    f("spec.volumes[].diskMode", V1alpha5),
    f("spec.volumes[].removable", V1alpha5),
    f("spec.volumes[].sharingMode", V1alpha5),
    f("spec.volumes[].unitNumber", V1alpha5),
    gone(
        "spec.volumes[].vSphereVolume",
        V1alpha1,
        V1alpha2,
        Some("spec.advanced.bootDiskCapacity"),
    ),
];

impl Field {
    pub fn exists_in(&self, v: ApiVersion) -> bool {
        v >= self.since && self.until.is_none_or(|u| v < u)
    }

    /// `v1alpha3 and later`, `v1alpha1`, `v1alpha3 and v1alpha4`.
    fn versions_text(&self) -> String {
        let last = match self.until {
            None if self.since == ApiVersion::HUB => {
                return format!("vmoperator.vmware.com/{}", self.since);
            }
            None => return format!("vmoperator.vmware.com/{} and later", self.since),
            Some(u) => ApiVersion::ALL
                .into_iter()
                .rfind(|v| *v < u)
                .unwrap_or(self.since),
        };
        if last == self.since {
            format!("vmoperator.vmware.com/{}", self.since)
        } else {
            let between: Vec<&str> = ApiVersion::ALL
                .into_iter()
                .filter(|v| *v >= self.since && *v <= last)
                .map(ApiVersion::name)
                .collect();
            let (tail, head) = between.split_last().map_or((&"", &[][..]), |(t, h)| (t, h));
            format!("vmoperator.vmware.com/{} and {tail}", head.join(", "))
        }
    }
}

/// `spec.network.interfaces[3].type` -> `spec.network.interfaces[].type`.
pub fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// The table entry for exactly this (normalized) path.
pub fn field(normalized: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.path == normalized)
}

/// Help for a field `key` under `parent` that a `version` document does not have but another
/// served version does.
pub fn hint(version: ApiVersion, parent: &str, key: &str) -> Option<String> {
    let path = normalize(&if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    });
    let f = field(&path).filter(|f| !f.exists_in(version))?;
    let what = if version < f.since {
        "change apiVersion".to_string()
    } else {
        match f.instead {
            Some(i) => format!("{version} has {i} instead"),
            None => format!("{version} has no such field"),
        }
    };
    Some(format!(
        "this field exists only in {}; {what}",
        f.versions_text()
    ))
}

/// Where a document has a field of the table (concrete paths, with the key's node).
///
/// Runs for every field the document's version lacks on every document, and nearly always
/// finds nothing: the walk borrows the pattern's segments and the document's keys and builds
/// a path string only for a match (building one per step was 7% of a batch's time).
pub fn find<'a>(root: &'a Node, pattern: &str) -> Vec<(String, &'a Node)> {
    let mut out = Vec::new();
    let mut trail: Vec<(&str, Option<usize>)> = Vec::new();
    find_at(root, pattern, &mut trail, &mut out);
    out
}

fn find_at<'a, 'p>(
    node: &'a Node,
    pattern: &'p str,
    trail: &mut Vec<(&'p str, Option<usize>)>,
    out: &mut Vec<(String, &'a Node)>,
) {
    // A byte scan, not `split_once`: the patterns are short and `str`'s searcher costs
    // more to set up than the scan (3% of a batch's time).
    let (first, rest) = match pattern.bytes().position(|b| b == b'.') {
        Some(i) => {
            let (f, r) = pattern.split_at(i);
            (f, r.get(1..))
        }
        None => (pattern, None),
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (first, false),
    };
    let NodeKind::Map(entries) = &node.kind else {
        return;
    };
    let Some((k, child)) = entries.iter().find(|(k, _)| k.as_str() == Some(key)) else {
        return;
    };
    match (rest, each) {
        (None, false) => {
            trail.push((key, None));
            out.push((concrete(trail), k));
            trail.pop();
        }
        (Some(rest), true) => {
            if let NodeKind::Seq(items) = &child.kind {
                for (i, item) in items.iter().enumerate() {
                    trail.push((key, Some(i)));
                    find_at(item, rest, trail, out);
                    trail.pop();
                }
            }
        }
        (Some(rest), false) => {
            trail.push((key, None));
            find_at(child, rest, trail, out);
            trail.pop();
        }
        // A pattern never ends in `[]` (entries name fields, not list items).
        (None, true) => {}
    }
}

/// `spec.network.interfaces[1].type` from the walked keys and list positions.
fn concrete(trail: &[(&str, Option<usize>)]) -> String {
    let mut path = String::new();
    for (key, index) in trail {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        if let Some(i) = index {
            path.push_str(&format!("[{i}]"));
        }
    }
    path
}

/// Removes from a `VirtualMachine` JSON object every field `to` lacks. Returns the removed
/// values with their concrete paths (`spec.network.interfaces[1].type`).
pub fn prune(vm: &mut Value, to: ApiVersion) -> Vec<(String, Value)> {
    let mut removed = Vec::new();
    for f in FIELDS.iter().filter(|f| !f.exists_in(to)) {
        let segs: Vec<&str> = f.path.split('.').collect();
        remove_at(vm, &segs, String::new(), &mut removed);
    }
    removed
}

fn remove_at(v: &mut Value, segs: &[&str], at: String, out: &mut Vec<(String, Value)>) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (*first, false),
    };
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    let here = if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    };
    if rest.is_empty() && !each {
        if let Some(old) = obj.shift_remove(key) {
            out.push((here, old));
        }
        return;
    }
    let Some(child) = obj.get_mut(key) else {
        return;
    };
    if each {
        if let Some(items) = child.as_array_mut() {
            for (i, item) in items.iter_mut().enumerate() {
                remove_at(item, rest, format!("{here}[{i}]"), out);
            }
        }
    } else {
        remove_at(child, rest, here, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_gives_concrete_paths_and_key_positions() {
        use crate::source::yaml::{Limits, parse_documents};
        let text = "spec:\n  network:\n    interfaces:\n    - name: a\n    - name: b\n      type: vmxnet3\n    - type: e1000\n";
        let docs = parse_documents(text, &Limits::default()).unwrap();
        let root = &docs[0].root;
        let found: Vec<(String, u32)> = find(root, "spec.network.interfaces[].type")
            .into_iter()
            .map(|(p, k)| (p, k.span.line))
            .collect();
        assert_eq!(
            found,
            vec![
                ("spec.network.interfaces[1].type".to_string(), 6),
                ("spec.network.interfaces[2].type".to_string(), 7)
            ]
        );
        assert_eq!(find(root, "spec.network").len(), 1);
        assert!(find(root, "spec.network.interfaces[].ipamModes").is_empty());
        assert!(find(root, "spec.advanced").is_empty());
        assert!(find(root, "spec.network.interfaces[]").is_empty());
    }

    #[test]
    fn hints_name_the_versions_that_have_the_field() {
        assert_eq!(
            hint(V1alpha2, "spec.network", "domainName").as_deref(),
            Some(
                "this field exists only in vmoperator.vmware.com/v1alpha3 and later; change apiVersion"
            )
        );
        assert_eq!(
            hint(V1alpha6, "spec", "networkInterfaces").as_deref(),
            Some(
                "this field exists only in vmoperator.vmware.com/v1alpha1; v1alpha6 has spec.network.interfaces instead"
            )
        );
        assert_eq!(
            hint(V1alpha2, "spec", "cdrom").as_deref(),
            Some(
                "this field exists only in vmoperator.vmware.com/v1alpha3 and v1alpha4; change apiVersion"
            )
        );
        assert_eq!(
            hint(
                V1alpha5,
                "spec.bootstrap.sysprep.sysprep.identification",
                "joinDomain"
            )
            .as_deref(),
            Some(
                "this field exists only in vmoperator.vmware.com/v1alpha2; v1alpha5 has spec.network.domainName instead"
            )
        );
        assert_eq!(
            hint(V1alpha2, "spec.network.interfaces[3]", "type").as_deref(),
            Some("this field exists only in vmoperator.vmware.com/v1alpha6; change apiVersion")
        );
        // A field the version has, or one no version has, gets no version hint.
        assert_eq!(hint(V1alpha3, "spec.network", "domainName"), None);
        assert_eq!(hint(V1alpha3, "spec.network", "domainNme"), None);
    }

    #[test]
    fn prune_removes_what_the_target_lacks_with_concrete_paths() {
        let mut v = serde_json::json!({
            "spec": {
                "guestID": "x",
                "network": {"domainName": "d", "interfaces": [{"name": "a"}, {"name": "b", "type": "E1000"}]},
                "bootstrap": {"cloudInit": {"instanceID": "i", "waitOnNetwork4": true}}
            }
        });
        let removed: Vec<String> = prune(&mut v, V1alpha2).into_iter().map(|r| r.0).collect();
        assert_eq!(
            removed,
            vec![
                "spec.bootstrap.cloudInit.instanceID",
                "spec.bootstrap.cloudInit.waitOnNetwork4",
                "spec.guestID",
                "spec.network.domainName",
                "spec.network.interfaces[1].type"
            ]
        );
        assert_eq!(
            v,
            serde_json::json!({"spec": {"network": {"interfaces": [{"name": "a"}, {"name": "b"}]}, "bootstrap": {"cloudInit": {}}}})
        );
    }

    #[test]
    fn table_is_sorted_unique_and_consistent() {
        for w in FIELDS.windows(2) {
            assert!(w[0].path < w[1].path, "{} then {}", w[0].path, w[1].path);
        }
        for f in FIELDS {
            assert!(f.until.is_none_or(|u| u > f.since), "{}", f.path);
            assert!(
                ApiVersion::ALL.iter().any(|v| f.exists_in(*v)),
                "{}",
                f.path
            );
        }
    }
}
