//! Secret values for the references a VirtualMachine makes (`rawCloudConfig`, passwords,
//! `rawSysprep`, `scriptText.from`, vApp `value.from`), from three sources, first match wins:
//! `--secret NAME/KEY=FILE`, Kubernetes `v1` `Secret` manifests in the batch (same
//! namespace, `stringData` over `data`), and the environment (`GUESTNET_SECRET_<NAME>_<KEY>`,
//! upper-cased, every other character `_`). Values are [`Secret`]s: never printed.

use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use guestnet_core::source::Node;
use guestnet_core::source::node::NodeKind;
use std::collections::BTreeMap;

/// Where a VM's Secret references are looked up.
pub trait SecretSource: Sync {
    fn get(&self, namespace: &str, name: &str, key: &str) -> Option<Vec<u8>>;
}

/// A `v1` `Secret` manifest's keys.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretManifest {
    pub namespace: String,
    pub name: String,
    pub data: BTreeMap<String, Vec<u8>>,
}

impl std::fmt::Debug for SecretManifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretManifest")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn map_entries(n: &Node) -> Vec<(&str, &Node)> {
    match &n.kind {
        NodeKind::Map(es) => es
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The manifest in a document tree, if the document is a `v1` `Secret`. `Err` says what is
/// wrong with it (never a value).
pub fn manifest_from_node(root: &Node) -> Option<Result<SecretManifest, String>> {
    let api = root.get("apiVersion").and_then(Node::as_str)?;
    let kind = root.get("kind").and_then(Node::as_str)?;
    if api != "v1" || kind != "Secret" {
        return None;
    }
    let meta = root.get("metadata");
    let Some(name) = meta.and_then(|m| m.get("name")).and_then(Node::as_str) else {
        return Some(Err("a Secret without metadata.name".into()));
    };
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Node::as_str)
        .unwrap_or("default")
        .to_string();
    let mut data = BTreeMap::new();
    if let Some(d) = root.get("data") {
        for (k, v) in map_entries(d) {
            let Some(text) = v.as_str() else {
                return Some(Err(format!("Secret {name}: data.{k} is not a string")));
            };
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            match STANDARD.decode(compact) {
                Ok(b) => {
                    data.insert(k.to_string(), b);
                }
                Err(_) => {
                    return Some(Err(format!(
                        "Secret {name}: data.{k} is not base64 (put plain text under stringData)"
                    )));
                }
            }
        }
    }
    if let Some(d) = root.get("stringData") {
        for (k, v) in map_entries(d) {
            let Some(text) = v.as_str() else {
                return Some(Err(format!(
                    "Secret {name}: stringData.{k} is not a string"
                )));
            };
            data.insert(k.to_string(), text.as_bytes().to_vec());
        }
    }
    Some(Ok(SecretManifest {
        namespace,
        name: name.to_string(),
        data,
    }))
}

/// `GUESTNET_SECRET_<NAME>_<KEY>`.
pub fn env_name(name: &str, key: &str) -> String {
    let up = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("GUESTNET_SECRET_{}_{}", up(name), up(key))
}

/// Reads an environment variable (injected, so tests need not touch the process's).
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Sync>;

/// The batch's secrets plus `--secret` files plus the environment.
pub struct Store {
    /// `(name, key)` from `--secret NAME/KEY=FILE`, any namespace.
    pub files: BTreeMap<(String, String), Vec<u8>>,
    pub manifests: Vec<SecretManifest>,
    pub env: EnvLookup,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .field("manifests", &self.manifests)
            .finish()
    }
}

impl Default for Store {
    fn default() -> Self {
        Store {
            files: BTreeMap::new(),
            manifests: Vec::new(),
            env: Box::new(|_| None),
        }
    }
}

impl SecretSource for Store {
    fn get(&self, namespace: &str, name: &str, key: &str) -> Option<Vec<u8>> {
        if let Some(v) = self.files.get(&(name.to_string(), key.to_string())) {
            return Some(v.clone());
        }
        if let Some(v) = self
            .manifests
            .iter()
            .find(|m| m.name == name && m.namespace == namespace)
            .and_then(|m| m.data.get(key))
        {
            return Some(v.clone());
        }
        (self.env)(&env_name(name, key)).map(String::into_bytes)
    }
}

/// Parses `NAME/KEY=FILE` (the value of `--secret`).
pub fn parse_secret_arg(s: &str) -> Result<(String, String, std::path::PathBuf), String> {
    let (sel, file) = s
        .split_once('=')
        .ok_or_else(|| format!("--secret {s}: expected NAME/KEY=FILE"))?;
    let (name, key) = sel
        .split_once('/')
        .ok_or_else(|| format!("--secret {s}: expected NAME/KEY=FILE"))?;
    if name.is_empty() || key.is_empty() || file.is_empty() {
        return Err(format!(
            "--secret {s}: NAME, KEY and FILE must not be empty"
        ));
    }
    Ok((name.to_string(), key.to_string(), file.into()))
}

/// vm-operator's `TryToDecodeBase64Gzip` for user-data and raw Sysprep: base64-decode while
/// that works, then gunzip if it is gzip. Plain, base64 and gzip+base64 give the same text.
pub fn decode_base64_gzip(v: &[u8]) -> Result<Vec<u8>, String> {
    let mut cur = v.to_vec();
    for _ in 0..8 {
        let text = match std::str::from_utf8(&cur) {
            Ok(t) => t.trim(),
            Err(_) => break,
        };
        if text.is_empty() {
            break;
        }
        match STANDARD.decode(text) {
            Ok(d) if d != cur => cur = d,
            _ => break,
        }
    }
    if cur.starts_with(&[0x1f, 0x8b]) {
        return guestnet_core::render::encode::decode_guestinfo(
            &STANDARD.encode(&cur),
            Some("gzip+base64"),
        );
    }
    Ok(cur)
}

/// A secret's bytes as text (what XML and guestinfo carry).
pub fn utf8(name: &str, key: &str, v: Vec<u8>) -> Result<Secret, String> {
    String::from_utf8(v)
        .map(Secret::new)
        .map_err(|_| format!("Secret {name} key {key} is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use guestnet_core::pipeline::load;
    use guestnet_core::source::Limits;

    #[test]
    fn manifests_and_precedence() {
        let docs = load(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: prod}\ndata: {password: aHVudGVyMg==}\nstringData: {token: plain}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            &Limits::default(),
        )
        .unwrap();
        let m = manifest_from_node(&docs[0].root).unwrap().unwrap();
        assert_eq!(m.data["password"], b"hunter2");
        assert!(!format!("{m:?}").contains("hunter2"));
        assert!(manifest_from_node(&docs[1].root).is_none());
        let store = Store {
            files: [(
                ("creds".to_string(), "token".to_string()),
                b"from-file".to_vec(),
            )]
            .into(),
            manifests: vec![m],
            env: Box::new(|k| (k == "GUESTNET_SECRET_OTHER_S_K_1").then(|| "from-env".into())),
        };
        assert_eq!(store.get("prod", "creds", "password").unwrap(), b"hunter2");
        assert_eq!(store.get("dev", "creds", "password"), None);
        assert_eq!(store.get("prod", "creds", "token").unwrap(), b"from-file");
        assert_eq!(store.get("x", "other-s", "k.1").unwrap(), b"from-env");
        let bad = load(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ndata: {password: \"not base64!\"}\n",
            &Limits::default(),
        )
        .unwrap();
        let e = manifest_from_node(&bad[0].root).unwrap().unwrap_err();
        assert!(
            e.contains("not base64") && !e.contains("not base64!\""),
            "{e}"
        );
    }

    #[test]
    fn user_data_normalisation_like_vm_operator() {
        let plain = b"#cloud-config\nruncmd: [ls]\n".to_vec();
        let b64 = STANDARD.encode(&plain).into_bytes();
        let gz = guestnet_core::render::encode::gzip_base64(&plain).into_bytes();
        for v in [plain.clone(), b64, gz] {
            assert_eq!(decode_base64_gzip(&v).unwrap(), plain);
        }
    }

    #[test]
    fn secret_args() {
        assert_eq!(
            parse_secret_arg("db/pass=/tmp/x").unwrap(),
            ("db".into(), "pass".into(), "/tmp/x".into())
        );
        assert!(parse_secret_arg("db=/tmp/x").is_err());
        assert!(parse_secret_arg("db/=x").is_err());
    }
}
