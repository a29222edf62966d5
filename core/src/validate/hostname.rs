//! Host and domain name rules (`pkg/util/vmopv1/network.go: ValidateHostAndDomainName`).
//! vm-operator returns only the first failure; so do we, in the same order.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};

pub const ERR_HOST: &str = "host name must adhere to RFC-1123";
pub const ERR_DOMAIN: &str = "domain name must adhere to RFC-1123";
pub const ERR_HOST_IP: &str = "host name may not be IP address when domain name is non-empty";
pub const ERR_WINDOWS: &str = "host name may not exceed 15 characters for Windows";
pub const ERR_FQDN: &str = "host name and domain name combined exceed 255 characters";

/// `[a-zA-Z0-9\p{S}\p{L}]` from vm-operator's regex. `\p{S}` is approximated: ASCII
/// symbols exactly, non-ASCII as "not punctuation, space or control".
fn host_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || "$+<=>^`|~".contains(c)
    } else {
        c.is_alphabetic()
            || !(c.is_whitespace()
                || c.is_control()
                || ('\u{2000}'..='\u{206f}').contains(&c)
                || ('\u{3000}'..='\u{303f}').contains(&c)
                || ('\u{fe30}'..='\u{fe4f}').contains(&c))
    }
}

/// One label of `hostNameFormat`: 1–63 runes, no leading/trailing `-`.
fn is_label(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n == 0 || n > 63 {
        return false;
    }
    chars
        .iter()
        .enumerate()
        .all(|(i, &c)| host_char(c) || (c == '-' && i != 0 && i != n - 1 && n > 2))
}

/// `util.IsValidHostName`: an IP address, or one RFC 1123 label (unicode allowed).
pub fn is_valid_host_name(s: &str) -> bool {
    crate::ip::parse_ip(s).is_some() || is_label(s)
}

/// `util.IsValidDomainName`: ≤253 bytes, labels as above, ASCII TLD of ≥2 characters.
pub fn is_valid_domain_name(s: &str) -> bool {
    if s.len() > 253 {
        return false;
    }
    let mut labels: Vec<&str> = s.split('.').collect();
    let Some(tld) = labels.pop() else {
        return false;
    };
    let tld_ok = tld.len() >= 2
        && tld.len() <= 63
        && tld.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && !tld.starts_with('-')
        && !tld.ends_with('-');
    tld_ok && labels.iter().all(|l| is_label(l))
}

pub(super) fn check(cx: &mut Ctx<'_>) {
    if let Some(d) = first_failure(cx) {
        cx.push(d);
    }
}

fn first_failure(cx: &Ctx<'_>) -> Option<Diagnostic> {
    let vm = cx.vm;
    let name = vm.name();
    let Some(net) = vm.network() else {
        return (!is_valid_host_name(name)).then(|| {
            Diagnostic::invalid(Code::HostName, "metadata.name", name, ERR_HOST).with_help(
                "without spec.network.hostName the VM name is the host name; set hostName",
            )
        });
    };
    let (host, host_path) = match net.host_name.as_deref() {
        Some(h) if !h.is_empty() => (h, "spec.network.hostName"),
        _ => (name, "metadata.name"),
    };
    if !is_valid_host_name(host) {
        let mut d = Diagnostic::invalid(Code::HostName, host_path, host, ERR_HOST);
        d = if host.contains('.') {
            d.with_help("a host name is one label; put the rest in spec.network.domainName")
        } else {
            d.with_help("1-63 letters, digits or '-', not starting or ending with '-'")
        };
        return Some(d);
    }
    let domain = net.domain_name.as_deref().unwrap_or("");
    if !domain.is_empty() && crate::ip::parse_ip(host).is_some() {
        return Some(Diagnostic::invalid(
            Code::HostNameIp,
            "spec.network.hostName",
            host,
            ERR_HOST_IP,
        ));
    }
    if vm.is_windows() && host.len() > 15 {
        return Some(
            Diagnostic::invalid(Code::WindowsHostName, host_path, host, ERR_WINDOWS).with_help(
                format!(
                    "Windows computer names are at most 15 bytes (NetBIOS); this one is {} bytes",
                    host.len()
                ),
            ),
        );
    }
    if !domain.is_empty() && !is_valid_domain_name(domain) {
        return Some(Diagnostic::invalid(
            Code::DomainName,
            "spec.network.domainName",
            domain,
            ERR_DOMAIN,
        ));
    }
    let fqdn = if domain.is_empty() {
        host.to_string()
    } else {
        format!("{host}.{domain}")
    };
    if fqdn.len() > 255 {
        return Some(Diagnostic::invalid(
            Code::FqdnLength,
            "spec.network",
            &fqdn,
            ERR_FQDN,
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_util::{HEAD, run};

    #[test]
    fn g9_tables() {
        for ok in [
            "a",
            "ab",
            "1",
            "a-b",
            "1-a",
            "ch✓ck",
            "1.2.3.4",
            "2001:db8:3333:4444:5555:6666:7777:8888",
        ] {
            assert!(is_valid_host_name(ok), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in ["-a", "a-", "-", "a.b", long.as_str()] {
            assert!(!is_valid_host_name(bad), "{bad}");
        }
        for ok in ["ab", "12", "a-b", "✓.com", "ch✓ck.com", "a.com", "a.b.com"] {
            assert!(is_valid_domain_name(ok), "{ok}");
        }
        let long = "a".repeat(254);
        for bad in [
            "1.2.3.4",
            "2001:db8::1",
            "a",
            "1",
            "-a",
            "✓",
            "ch✓ck",
            "a.b",
            "a.b.c",
            long.as_str(),
        ] {
            assert!(!is_valid_domain_name(bad), "{bad}");
        }
    }

    #[test]
    fn g8_messages() {
        let r = run(&format!(
            "{HEAD}spec:\n  network:\n    hostName: hello-world.com\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN120 spec.network.hostName: Invalid value: \"hello-world.com\": host name must adhere to RFC-1123"
            ]
        );
        let r = run(&format!(
            "{HEAD}spec:\n  network:\n    hostName: 1.2.3.4\n    domainName: a.com\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN121 spec.network.hostName: Invalid value: \"1.2.3.4\": host name may not be IP address when domain name is non-empty"
            ]
        );
        let r = run(&format!(
            "{HEAD}spec:\n  network:\n    hostName: a\n    domainName: check.✓om\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN123 spec.network.domainName: Invalid value: \"check.✓om\": domain name must adhere to RFC-1123"
            ]
        );
        let a = "a".repeat(63);
        let r = run(&format!(
            "{HEAD}spec:\n  network:\n    hostName: {a}\n    domainName: {a}.{a}.{a}.com\n"
        ));
        assert_eq!(r.len(), 1);
        assert!(
            r[0].starts_with("GN124 spec.network: Invalid value:"),
            "{r:?}"
        );
    }

    #[test]
    fn windows_limit_counts_bytes() {
        let r = run(&format!(
            "{HEAD}spec:\n  guestID: windows2019srv_64Guest\n  network:\n    hostName: win-server-00001\n"
        ));
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0],
            "GN122 spec.network.hostName: Invalid value: \"win-server-00001\": host name may not exceed 15 characters for Windows"
        );
        let r = run(&format!(
            "{HEAD}spec:\n  guestID: windows2019srv_64Guest\n  network:\n    hostName: win-server-0001\n"
        ));
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn vm_name_is_validated_without_network() {
        let r = run(
            "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: my.vm}\n",
        );
        assert_eq!(
            r,
            vec![
                "GN120 metadata.name: Invalid value: \"my.vm\": host name must adhere to RFC-1123"
            ]
        );
    }
}
