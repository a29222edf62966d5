//! IP and CIDR handling with the same acceptance rules as Go's `net.ParseIP` and
//! `net.ParseCIDR` (what vm-operator's webhook uses), plus the subnet arithmetic the stricter
//! checks need.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address with its prefix length, as written (`192.168.1.10/24`); host bits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl serde::Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Go's `net.ParseIP`: dotted IPv4 without leading zeros, or IPv6 (no zone). An
/// IPv4-mapped IPv6 address (`::ffff:192.168.1.1`) *is* an IPv4 address to Go
/// (`To4() != nil`), so it comes back as one.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// Go's `net.ParseCIDR`; the error text is Go's. The prefix length is decimal digits
/// (leading zeros allowed, as Go's `dtoi`). An IPv4-mapped address with a prefix of at
/// least 96 is the IPv4 network Go makes of it (`::ffff:10.0.0.5/120` is `10.0.0.5/24`);
/// with a shorter prefix it stays an IPv6 network.
pub fn parse_cidr(s: &str) -> Result<Cidr, String> {
    let err = || format!("invalid CIDR address: {s}");
    let (ip, len) = s.split_once('/').ok_or_else(err)?;
    let addr: IpAddr = ip.parse().map_err(|_| err())?;
    if len.is_empty() || !len.bytes().all(|c| c.is_ascii_digit()) {
        return Err(err());
    }
    let digits = len.trim_start_matches('0');
    let prefix: u8 = if digits.is_empty() {
        0
    } else if digits.len() > 3 {
        return Err(err());
    } else {
        digits.parse().map_err(|_| err())?
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(err());
    }
    Ok(match addr {
        IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
            Some(v4) => Cidr {
                addr: IpAddr::V4(v4),
                prefix: prefix - 96,
            },
            None => Cidr { addr, prefix },
        },
        _ => Cidr { addr, prefix },
    })
}

impl Cidr {
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }

    fn mask_bits(&self) -> u128 {
        let width: u32 = if self.is_ipv4() { 32 } else { 128 };
        let p = u32::from(self.prefix).min(width);
        if p == 0 {
            0
        } else {
            let ones = u128::MAX << (128 - p);
            ones >> (128 - width)
        }
    }

    /// The address as an integer (IPv4 in the low 32 bits), for range arithmetic.
    pub fn bits(addr: IpAddr) -> u128 {
        match addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    /// The address of this family with the given integer value.
    pub fn with_bits(&self, bits: u128) -> IpAddr {
        if self.is_ipv4() {
            IpAddr::V4(Ipv4Addr::from(
                u32::try_from(bits & 0xffff_ffff).unwrap_or(0),
            ))
        } else {
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> IpAddr {
        self.with_bits(Self::bits(self.addr) & self.mask_bits())
    }

    /// The subnet itself: network address and prefix (`10.0.0.5/24` -> `10.0.0.0/24`).
    pub fn canonical(&self) -> Cidr {
        Cidr {
            addr: self.network(),
            prefix: self.prefix,
        }
    }

    /// `network/prefix` as text.
    pub fn network_cidr(&self) -> String {
        self.canonical().to_string()
    }

    /// True when the address has host bits set (`10.100.10.1/24` as a route destination).
    pub fn has_host_bits(&self) -> bool {
        self.network() != self.addr
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.is_ipv4()
            && Self::bits(ip) & self.mask_bits() == Self::bits(self.addr) & self.mask_bits()
    }

    /// IPv4 broadcast address of the subnet (None for IPv6 or /31, /32).
    pub fn broadcast(&self) -> Option<IpAddr> {
        if !self.is_ipv4() || self.prefix >= 31 {
            return None;
        }
        let width = 32u32;
        let host = (1u128 << (width - u32::from(self.prefix))) - 1;
        Some(self.with_bits((Self::bits(self.addr) & self.mask_bits()) | host))
    }

    /// Dotted-quad subnet mask for IPv4 (`/24` -> `255.255.255.0`).
    pub fn dotted_mask(&self) -> Option<Ipv4Addr> {
        if !self.is_ipv4() {
            return None;
        }
        Some(Ipv4Addr::from(
            u32::try_from(self.mask_bits()).unwrap_or(u32::MAX),
        ))
    }
}

/// Why an address cannot be configured on an interface, if it cannot.
pub fn unusable_reason(c: &Cidr) -> Option<&'static str> {
    let a = c.addr;
    if a.is_unspecified() {
        return Some("is the unspecified address");
    }
    if a.is_loopback() {
        return Some("is a loopback address");
    }
    if a.is_multicast() {
        return Some("is a multicast address");
    }
    if let IpAddr::V4(v4) = a {
        if v4.is_broadcast() {
            return Some("is the limited broadcast address");
        }
        if c.prefix < 31 && c.has_host_bits() && Some(a) == c.broadcast() {
            return Some("is the broadcast address of its subnet");
        }
        if c.prefix < 31 && !c.has_host_bits() {
            return Some("is the network address of its subnet");
        }
    }
    None
}

/// Strict MAC syntax `xx:xx:xx:xx:xx:xx` (the CRD pattern), returning the octets.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for slot in &mut out {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *slot = u8::from_str_radix(p, 16).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// Lower-case, colon-separated MAC, as netplan and vSphere print it.
pub fn format_mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_like_go() {
        assert!(parse_cidr("192.168.1.10/24").is_ok());
        assert!(parse_cidr("2001:db8::10/64").is_ok());
        assert_eq!(
            parse_cidr("1.1.1.1").unwrap_err(),
            "invalid CIDR address: 1.1.1.1"
        );
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("10.0.0.0/+8").is_err());
        assert!(parse_cidr("10.0.0.0/ 8").is_err());
        assert!(parse_cidr("134.23.5.3.0/24").is_err());
        assert!(parse_cidr("010.0.0.1/8").is_err());
        // Go's dtoi reads the prefix length with leading zeros (checked with go1.19).
        assert_eq!(
            parse_cidr("10.0.0.1/024").unwrap().to_string(),
            "10.0.0.1/24"
        );
        // IPv4-mapped: Go's To4() calls it IPv4.
        assert_eq!(
            parse_cidr("::ffff:10.0.0.5/120").unwrap().to_string(),
            "10.0.0.5/24"
        );
        assert!(!parse_cidr("::ffff:10.0.0.5/24").unwrap().is_ipv4());
    }

    #[test]
    fn ip_like_go() {
        assert_eq!(
            parse_ip("::ffff:192.168.1.1"),
            Some(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1)))
        );
        assert!(parse_ip("192.168.001.1").is_none());
        assert!(parse_ip("fe80::1%eth0").is_none());
        assert!(parse_ip("2001:db8::1").is_some_and(|ip| ip.is_ipv6()));
    }

    #[test]
    fn subnet_math() {
        let c = parse_cidr("192.168.1.10/24").unwrap();
        assert!(c.contains("192.168.1.1".parse().unwrap()));
        assert!(!c.contains("192.168.2.1".parse().unwrap()));
        assert_eq!(c.dotted_mask().unwrap().to_string(), "255.255.255.0");
        assert_eq!(
            parse_cidr("1.2.3.4/26")
                .unwrap()
                .dotted_mask()
                .unwrap()
                .to_string(),
            "255.255.255.192"
        );
        assert_eq!(c.broadcast().unwrap().to_string(), "192.168.1.255");
        let v6 = parse_cidr("fd8e:b5a0:f172:123::f/48").unwrap();
        assert!(v6.contains("fd8e:b5a0:f172:123::1".parse().unwrap()));
        assert!(
            parse_cidr("10.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert_eq!(
            unusable_reason(&parse_cidr("192.168.1.255/24").unwrap()),
            Some("is the broadcast address of its subnet")
        );
        assert_eq!(unusable_reason(&parse_cidr("10.0.0.5/24").unwrap()), None);
    }

    #[test]
    fn macs() {
        assert_eq!(
            format_mac(&parse_mac("00:50:56:AB:cd:ef").unwrap()),
            "00:50:56:ab:cd:ef"
        );
        assert!(parse_mac("00-50-56-ab-cd-ef").is_none());
        assert!(parse_mac("00:50:56:ab:cd").is_none());
    }
}
