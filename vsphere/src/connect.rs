//! Where to connect and how to trust the server, from the three spellings users already
//! know: a URL (`--url https://vc/sdk`, as govc's `-u`), a libvirt ESX-driver URI
//! (`--connect vpx://user@vc/dc1/cluster1/esx1?no_verify=1`), and govc's environment
//! (`GOVC_URL`, `GOVC_USERNAME`, `GOVC_PASSWORD`, `GOVC_INSECURE`, `GOVC_THUMBPRINT`,
//! `GOVC_DATACENTER`, `GOVC_TLS_CA_CERTS`).
//!
//! A password is accepted from the environment only: one in `--url` or `--connect` would be
//! visible in the process list, so it is refused (without echoing it).

use crate::secret::Secret;
use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConnectError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ConnectError> {
    Err(ConnectError(msg.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Https,
    Http,
}

/// The SOAP endpoint: `https://host:port/sdk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// Bare host: a name, an IPv4 address or an IPv6 address without brackets.
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Endpoint {
    /// The host as it appears in a URL (IPv6 in brackets).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{host}:{}", self.port)
    }

    pub fn url(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Https => "https",
            Scheme::Http => "http",
        };
        format!("{scheme}://{}{}", self.authority(), self.path)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The system's CA store plus any extra CA files.
    System { ca_files: Vec<PathBuf> },
    /// The leaf certificate's SHA-256 must be this (govc's `GOVC_THUMBPRINT`); CA, name
    /// and expiry are not checked, the handshake signature is.
    Thumbprint([u8; 32]),
    /// No check at all; only when asked (`no_verify=1`, `GOVC_INSECURE`, `--no-verify`).
    NoVerify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Http,
    Socks4,
    Socks4a,
    Socks5,
}

/// libvirt's `proxy=[type://]host[:port]` (default type http, default port 1080).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
}

impl Proxy {
    pub fn url(&self) -> String {
        let scheme = match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Socks4 => "socks4",
            ProxyKind::Socks4a => "socks4a",
            ProxyKind::Socks5 => "socks5",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{}", self.port)
    }
}

/// Which spelling the connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Url,
    /// `vpx://`: a vCenter; the path names the datacenter (and host).
    Vpx,
    /// `esx://`: a standalone ESXi host.
    Esx,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub flavor: Flavor,
    pub endpoint: Endpoint,
    pub user: Option<String>,
    /// From `GOVC_URL`'s user info or `GOVC_PASSWORD`; never from the command line.
    pub password: Option<Secret>,
    pub trust: Trust,
    pub proxy: Option<Proxy>,
    /// `vpx://` path: `[folder/...]datacenter/[folder/...][cluster/]host`, segments decoded.
    pub inventory: Vec<String>,
    /// `GOVC_DATACENTER` (or `--datacenter`): scopes VM lookups.
    pub datacenter: Option<String>,
    /// libvirt's `auto_answer=1`: answer VM questions with their default.
    pub auto_answer: bool,
}

/// What the command line said (everything else comes from the environment).
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub url: Option<String>,
    pub connect: Option<String>,
    pub thumbprint: Option<String>,
    pub no_verify: bool,
    pub ca_files: Vec<PathBuf>,
    pub datacenter: Option<String>,
    pub user: Option<String>,
    pub auto_answer: bool,
}

/// The environment variables read, so callers (and tests) can supply them.
pub const ENV_VARS: &[&str] = &[
    "GOVC_URL",
    "GOVC_USERNAME",
    "GOVC_PASSWORD",
    "GOVC_INSECURE",
    "GOVC_THUMBPRINT",
    "GOVC_DATACENTER",
    "GOVC_TLS_CA_CERTS",
];

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// Combines the command line and the environment. Explicit arguments win over the
/// environment; a thumbprint wins over `no_verify` (the safer of the two).
pub fn resolve(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Connection, ConnectError> {
    let env = |k: &str| env(k).filter(|v| !v.is_empty());
    let mut c = match (&args.url, &args.connect) {
        (Some(_), Some(_)) => return err("give either --url or --connect, not both"),
        (Some(u), None) => parse_url(u, false)?,
        (None, Some(u)) => parse_uri(u)?,
        (None, None) => match env("GOVC_URL") {
            Some(u) if u.contains("://") && !u.starts_with("http") => {
                parse_uri(&u).map_err(|e| ConnectError(format!("GOVC_URL: {e}")))?
            }
            Some(u) => parse_url(&u, true).map_err(|e| ConnectError(format!("GOVC_URL: {e}")))?,
            None => {
                return err(
                    "no vCenter given: use --url https://HOST/sdk, --connect vpx://USER@HOST/DC, or set GOVC_URL",
                );
            }
        },
    };
    if let Some(u) = &args.user {
        c.user = Some(u.clone());
    }
    if c.user.is_none() {
        c.user = env("GOVC_USERNAME");
    }
    if let Some(p) = env("GOVC_PASSWORD") {
        c.password = Some(Secret::new(p));
    }
    let thumb = match &args.thumbprint {
        Some(t) => {
            Some(parse_thumbprint(t).map_err(|e| ConnectError(format!("--thumbprint: {e}")))?)
        }
        None => match env("GOVC_THUMBPRINT") {
            Some(t) => Some(
                parse_thumbprint(&t).map_err(|e| ConnectError(format!("GOVC_THUMBPRINT: {e}")))?,
            ),
            None => None,
        },
    };
    let insecure = args.no_verify
        || c.trust == Trust::NoVerify
        || env("GOVC_INSECURE").is_some_and(|v| truthy(&v));
    let mut ca_files = args.ca_files.clone();
    if let Some(v) = env("GOVC_TLS_CA_CERTS") {
        ca_files.extend(v.split(':').filter(|s| !s.is_empty()).map(PathBuf::from));
    }
    c.trust = match (thumb, insecure) {
        (Some(t), _) => Trust::Thumbprint(t),
        (None, true) => Trust::NoVerify,
        (None, false) => Trust::System { ca_files },
    };
    c.datacenter = args.datacenter.clone().or_else(|| env("GOVC_DATACENTER"));
    c.auto_answer |= args.auto_answer;
    if c.user.as_deref().is_none_or(str::is_empty) {
        return err("no user name: put it in the URL (vpx://USER@HOST/...), or set GOVC_USERNAME");
    }
    Ok(c)
}

/// A SHA-256 thumbprint: 64 hex digits, colons optional, any case (govc's format).
pub fn parse_thumbprint(s: &str) -> Result<[u8; 32], ConnectError> {
    let hex: String = s.trim().chars().filter(|c| *c != ':').collect();
    if hex.len() == 40 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return err(
            "this is a SHA-1 thumbprint; guestnet pins SHA-256 only (openssl x509 -noout -fingerprint -sha256, or govc about.cert -thumbprint)",
        );
    }
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return err("a SHA-256 thumbprint is 32 bytes in hex, like AB:CD:...:EF (64 digits)");
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let pair = hex.get(2 * i..2 * i + 2).unwrap_or("00");
        *o = u8::from_str_radix(pair, 16).map_err(|_| ConnectError("bad hex digit".into()))?;
    }
    Ok(out)
}

/// `AB:CD:…` (upper-case, colon-separated), the way govc and the vSphere Client show it.
pub fn format_thumbprint(t: &[u8]) -> String {
    t.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn percent_decode(s: &str, what: &str) -> Result<String, ConnectError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(v) => out.push(v),
                None => return err(format!("{what}: `%` must be followed by two hex digits")),
            }
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ConnectError(format!("{what} is not UTF-8 after %-decoding")))
}

struct Authority {
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: Option<u16>,
}

fn parse_authority(a: &str) -> Result<Authority, ConnectError> {
    let (userinfo, hostport) = match a.rfind('@') {
        Some(i) => (Some(&a[..i]), &a[i + 1..]),
        None => (None, a),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(u) => match u.split_once(':') {
            Some((name, pw)) => (
                Some(percent_decode(name, "user name")?),
                Some(percent_decode(pw, "password")?),
            ),
            None => (Some(percent_decode(u, "user name")?), None),
        },
    };
    if user.as_deref() == Some("") {
        return err("the user name before `@` is empty");
    }
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return err("an IPv6 host must be closed with `]`");
        };
        if v6.parse::<Ipv6Addr>().is_err() {
            return err(format!("`{v6}` is not an IPv6 address"));
        }
        let port =
            match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| {
                    ConnectError("expected `:PORT` after the IPv6 address".into())
                })?),
            };
        (v6.to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() {
        return err("the host name is empty");
    }
    if !host.contains(':')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return err("the host name may contain only letters, digits, `-`, `.` and `_`");
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return err(format!("`{p}` is not a port number (1-65535)")),
        },
    };
    Ok(Authority {
        user,
        password,
        host,
        port,
    })
}

/// govc's URL forms: `host`, `host:port`, `https://[user[:pass]@]host[:port][/path]`.
/// `from_env` allows a password (GOVC_URL); on the command line it is refused.
pub fn parse_url(s: &str, from_env: bool) -> Result<Connection, ConnectError> {
    let s = s.trim();
    let (scheme, rest) = match s.split_once("://") {
        Some(("https", r)) => (Scheme::Https, r),
        Some(("http", r)) => (Scheme::Http, r),
        Some((other, _)) => {
            return err(format!(
                "URL scheme `{other}` is not http(s); for libvirt URIs (vpx://, esx://) use --connect"
            ));
        }
        None => (Scheme::Https, s),
    };
    if rest.contains(['?', '#']) {
        return err("a vCenter URL has no query or fragment");
    }
    let (auth, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let a = parse_authority(auth)?;
    if a.password.is_some() && !from_env {
        return err(
            "the URL carries a password, which would be visible to every user of this machine (ps); set GOVC_PASSWORD, use --password-file, or let guestnet ask",
        );
    }
    let path = if path.is_empty() || path == "/" {
        "/sdk".to_string()
    } else {
        path.to_string()
    };
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return err("the URL path contains white space");
    }
    Ok(Connection {
        flavor: Flavor::Url,
        endpoint: Endpoint {
            scheme,
            port: a
                .port
                .unwrap_or(if scheme == Scheme::Https { 443 } else { 80 }),
            host: a.host,
            path,
        },
        user: a.user,
        password: a.password.map(Secret::new),
        trust: Trust::System {
            ca_files: Vec::new(),
        },
        proxy: None,
        inventory: Vec::new(),
        datacenter: None,
        auto_answer: false,
    })
}

fn parse_proxy(v: &str) -> Result<Proxy, ConnectError> {
    let (kind, rest) = match v.split_once("://") {
        None => (ProxyKind::Http, v),
        Some(("http", r)) => (ProxyKind::Http, r),
        Some(("socks" | "socks5", r)) => (ProxyKind::Socks5, r),
        Some(("socks4", r)) => (ProxyKind::Socks4, r),
        Some(("socks4a", r)) => (ProxyKind::Socks4a, r),
        Some((t, _)) => {
            return err(format!(
                "proxy type `{t}` is not one of http, socks, socks4, socks4a, socks5"
            ));
        }
    };
    let a = parse_authority(rest.trim_end_matches('/'))?;
    if a.user.is_some() {
        return err("proxy credentials are not supported in the URI");
    }
    Ok(Proxy {
        kind,
        host: a.host,
        port: a.port.unwrap_or(1080),
    })
}

fn flag(name: &str, v: &str) -> Result<bool, ConnectError> {
    match v {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => err(format!("{name} must be 0 or 1, not `{v}`")),
    }
}

/// libvirt's ESX driver URIs:
/// `vpx://[user@]vcenter[:port]/[folder/...]dc/[folder/...][cluster/]host[?params]` and
/// `esx://[user@]host[:port][/][?params]`, params `no_verify`, `auto_answer`, `proxy`,
/// `transport`.
pub fn parse_uri(s: &str) -> Result<Connection, ConnectError> {
    let s = s.trim();
    let Some((scheme, rest)) = s.split_once("://") else {
        return err("expected a URI like vpx://USER@VCENTER/DC/HOST or esx://HOST");
    };
    let flavor = match scheme {
        "vpx" => Flavor::Vpx,
        "esx" => Flavor::Esx,
        "gsx" => return err("gsx:// (VMware Server) is not supported; use vpx:// or esx://"),
        other => {
            return err(format!(
                "URI scheme `{other}` is not vpx or esx (for https URLs use --url)"
            ));
        }
    };
    if rest.contains('#') {
        return err("the URI has a fragment (#...)");
    }
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (auth, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i + 1..]),
        None => (before_query, ""),
    };
    let a = parse_authority(auth)?;
    if a.password.is_some() {
        return err(
            "the URI carries a password, which would be visible to every user of this machine (ps); set GOVC_PASSWORD, use --password-file, or let guestnet ask",
        );
    }
    let mut inventory = Vec::new();
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if !trimmed.is_empty() {
        for seg in trimmed.split('/') {
            if seg.is_empty() {
                return err("the URI path has an empty segment (`//`)");
            }
            inventory.push(percent_decode(seg, "the URI path")?);
        }
    }
    match flavor {
        Flavor::Vpx if inventory.len() < 2 => {
            return err(
                "a vpx:// URI names the datacenter and the host: vpx://VCENTER/DATACENTER/[CLUSTER/]HOST",
            );
        }
        Flavor::Esx if !inventory.is_empty() => {
            return err("an esx:// URI has no path: esx://HOST[?no_verify=1]");
        }
        _ => {}
    }
    let mut no_verify = false;
    let mut auto_answer = false;
    let mut proxy = None;
    let mut scheme = Scheme::Https;
    let mut seen: Vec<String> = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k, "a URI parameter name")?;
        let v = percent_decode(v, "a URI parameter value")?;
        if seen.contains(&k) {
            return err(format!("URI parameter `{k}` is given twice"));
        }
        seen.push(k.clone());
        match k.as_str() {
            "no_verify" => no_verify = flag("no_verify", &v)?,
            "auto_answer" => auto_answer = flag("auto_answer", &v)?,
            "proxy" => proxy = Some(parse_proxy(&v)?),
            "transport" => {
                scheme = match v.as_str() {
                    "https" => Scheme::Https,
                    "http" => Scheme::Http,
                    _ => return err(format!("transport must be http or https, not `{v}`")),
                }
            }
            "vcenter" => {
                return err(
                    "the vcenter parameter is for libvirt migrations; guestnet does not use it",
                );
            }
            other => {
                return err(format!(
                    "unknown URI parameter `{other}` (known: no_verify, auto_answer, proxy, transport)"
                ));
            }
        }
    }
    Ok(Connection {
        flavor,
        endpoint: Endpoint {
            scheme,
            port: a
                .port
                .unwrap_or(if scheme == Scheme::Https { 443 } else { 80 }),
            host: a.host,
            path: "/sdk".into(),
        },
        user: a.user,
        password: None,
        trust: if no_verify {
            Trust::NoVerify
        } else {
            Trust::System {
                ca_files: Vec::new(),
            }
        },
        proxy,
        inventory,
        datacenter: None,
        auto_answer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn govc_urls() {
        let c = parse_url("vc.example.com", false).unwrap();
        assert_eq!(c.endpoint.url(), "https://vc.example.com:443/sdk");
        let c = parse_url("http://127.0.0.1:8989", false).unwrap();
        assert_eq!(c.endpoint.url(), "http://127.0.0.1:8989/sdk");
        let c = parse_url(
            "https://administrator%40vsphere.local@[::1]:8443/sdk",
            false,
        )
        .unwrap();
        assert_eq!(c.user.as_deref(), Some("administrator@vsphere.local"));
        assert_eq!(c.endpoint.host, "::1");
        assert_eq!(c.endpoint.url(), "https://[::1]:8443/sdk");
        // The last `@` separates the user info, as Go's url.Parse does.
        let c = parse_url("administrator@vsphere.local@vc", false).unwrap();
        assert_eq!(c.user.as_deref(), Some("administrator@vsphere.local"));
    }

    #[test]
    fn a_password_on_the_command_line_is_refused_without_echo() {
        for bad in ["https://root:canary-pw@vc/sdk", "root:canary-pw@vc"] {
            let e = parse_url(bad, false).unwrap_err().0;
            assert!(e.contains("password"), "{e}");
            assert!(!e.contains("canary"), "{e}");
        }
        let e = parse_uri("vpx://root:canary-pw@vc/dc/h").unwrap_err().0;
        assert!(!e.contains("canary") && e.contains("password"), "{e}");
        // From the environment it is fine.
        let c = parse_url("https://root:canary-pw@vc/sdk", true).unwrap();
        assert_eq!(c.password.unwrap().expose(), "canary-pw");
    }

    #[test]
    fn libvirt_uris() {
        let c = parse_uri("vpx://administrator%40vsphere.local@vc.example.com/dc1/cluster1/esx1.example.com?no_verify=1&auto_answer=1&proxy=socks://proxy.example.com:23456").unwrap();
        assert_eq!(c.flavor, Flavor::Vpx);
        assert_eq!(c.user.as_deref(), Some("administrator@vsphere.local"));
        assert_eq!(c.inventory, vec!["dc1", "cluster1", "esx1.example.com"]);
        assert_eq!(c.trust, Trust::NoVerify);
        assert!(c.auto_answer);
        assert_eq!(c.proxy.unwrap().url(), "socks5://proxy.example.com:23456");
        let c = parse_uri("esx://esx1:444/?transport=http").unwrap();
        assert_eq!(c.flavor, Flavor::Esx);
        assert_eq!(c.endpoint.url(), "http://esx1:444/sdk");
        let c = parse_uri("vpx://vc/folder1/dc%201/folder2/esx1/").unwrap();
        assert_eq!(c.inventory, vec!["folder1", "dc 1", "folder2", "esx1"]);
        let p = parse_uri("vpx://vc/dc/h?proxy=proxy.local")
            .unwrap()
            .proxy
            .unwrap();
        assert_eq!((p.kind, p.port), (ProxyKind::Http, 1080));
    }

    #[test]
    fn uri_errors_say_what_is_wrong() {
        for (uri, want) in [
            ("vpx://vc", "names the datacenter"),
            ("vpx://vc/dc", "names the datacenter"),
            ("esx://h/dc", "no path"),
            ("gsx://h", "not supported"),
            ("qemu:///system", "not vpx or esx"),
            ("vpx://vc/dc/h?no_verify=yes", "0 or 1"),
            ("vpx://vc/dc/h?nope=1", "unknown URI parameter `nope`"),
            ("vpx://vc/dc/h?no_verify=1&no_verify=0", "twice"),
            ("vpx://vc//h", "empty segment"),
            ("vpx://vc:99999/dc/h", "port"),
            ("vpx://vc:0/dc/h", "port"),
            ("vpx://[::1/dc/h", "`]`"),
            ("vpx://[zz]/dc/h", "IPv6"),
            ("vpx://v c/dc/h", "host name"),
            ("vpx://vc/d%zz/h", "hex digits"),
            ("vpx://vc/dc/h?proxy=ftp://p", "proxy type"),
            ("vpx://@vc/dc/h", "user name"),
        ] {
            let e = parse_uri(uri).unwrap_err().0;
            assert!(e.contains(want), "{uri}: {e}");
        }
    }

    #[test]
    fn thumbprints() {
        let t = "6B:F1:E4:6C:2B:70:8C:2B:9A:D9:58:C8:F7:7A:5C:0F:6B:F1:E4:6C:2B:70:8C:2B:9A:D9:58:C8:F7:7A:5C:0F";
        let b = parse_thumbprint(t).unwrap();
        assert_eq!(format_thumbprint(&b), t);
        assert_eq!(
            parse_thumbprint(&t.replace(':', "").to_lowercase()).unwrap(),
            b
        );
        let sha1 = "6B:F1:E4:6C:2B:70:8C:2B:9A:D9:58:C8:F7:7A:5C:0F:6B:F1:E4:6C";
        assert!(parse_thumbprint(sha1).unwrap_err().0.contains("SHA-1"));
        assert!(parse_thumbprint("zz").is_err());
    }

    #[test]
    fn environment_like_govc() {
        let env = env_of(&[
            ("GOVC_URL", "https://127.0.0.1:8989/sdk"),
            ("GOVC_USERNAME", "user"),
            ("GOVC_PASSWORD", "pass"),
            ("GOVC_INSECURE", "1"),
            ("GOVC_DATACENTER", "DC0"),
        ]);
        let c = resolve(&Args::default(), &env).unwrap();
        assert_eq!(c.user.as_deref(), Some("user"));
        assert_eq!(c.password.as_ref().unwrap().expose(), "pass");
        assert_eq!(c.trust, Trust::NoVerify);
        assert_eq!(c.datacenter.as_deref(), Some("DC0"));
        // A thumbprint wins over "insecure"; the command line wins over the environment.
        let env = env_of(&[
            ("GOVC_URL", "vc"),
            ("GOVC_USERNAME", "u"),
            ("GOVC_INSECURE", "true"),
            (
                "GOVC_THUMBPRINT",
                "6bf1e46c2b708c2b9ad958c8f77a5c0f6bf1e46c2b708c2b9ad958c8f77a5c0f",
            ),
        ]);
        let c = resolve(&Args::default(), &env).unwrap();
        assert!(matches!(c.trust, Trust::Thumbprint(_)));
        let args = Args {
            url: Some("https://other/sdk".into()),
            user: Some("me".into()),
            ..Args::default()
        };
        let c = resolve(&args, &env).unwrap();
        assert_eq!(c.endpoint.host, "other");
        assert_eq!(c.user.as_deref(), Some("me"));
        // GOVC_URL may be a libvirt URI too.
        let env = env_of(&[("GOVC_URL", "vpx://u@vc/dc/h?no_verify=1")]);
        let c = resolve(&Args::default(), &env).unwrap();
        assert_eq!(c.flavor, Flavor::Vpx);
    }

    #[test]
    fn missing_pieces_are_named() {
        let e = resolve(&Args::default(), &no_env).unwrap_err().0;
        assert!(e.contains("GOVC_URL"), "{e}");
        let args = Args {
            url: Some("vc".into()),
            ..Args::default()
        };
        assert!(
            resolve(&args, &no_env)
                .unwrap_err()
                .0
                .contains("GOVC_USERNAME")
        );
        let args = Args {
            url: Some("vc".into()),
            connect: Some("esx://h".into()),
            ..Args::default()
        };
        assert!(resolve(&args, &no_env).unwrap_err().0.contains("not both"));
    }

    proptest! {
        /// Whatever goes in the user, path and parameter slots comes back out after
        /// %-encoding: the URI parser decodes exactly what a writer encodes.
        #[test]
        fn uri_round_trip(
            user in "[a-zA-Z0-9@.\\\\ _-]{1,20}",
            dc in "[a-zA-Z0-9 /%?&=#_.-]{1,12}",
            host in "[a-zA-Z0-9 /%?&=#_.-]{1,12}",
            port in 1u16..,
            no_verify in any::<bool>(),
        ) {
            let enc = |s: &str| s.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>();
            let uri = format!("vpx://{}@vc.example:{port}/{}/{}?no_verify={}", enc(&user), enc(&dc), enc(&host), u8::from(no_verify));
            let c = parse_uri(&uri).unwrap();
            prop_assert_eq!(c.user.as_deref(), Some(user.as_str()));
            prop_assert_eq!(c.inventory, vec![dc, host]);
            prop_assert_eq!(c.endpoint.port, port);
            prop_assert_eq!(c.trust == Trust::NoVerify, no_verify);
        }

        #[test]
        fn thumbprint_round_trip(bytes in proptest::array::uniform32(any::<u8>())) {
            prop_assert_eq!(parse_thumbprint(&format_thumbprint(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,60}") {
            let _ = parse_uri(&s);
            let _ = parse_url(&s, true);
            let _ = parse_thumbprint(&s);
        }
    }
}
