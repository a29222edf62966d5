//! The long explanation of every rule: `guestnet rules CODE`, `guestnet explain CODE`,
//! SARIF `fullDescription`/`help`, and `docs/rules.md` (generated, checked in, kept fresh
//! by a test). Markdown, because code-scanning UIs render it.

use guestnet_core::{Code, Severity};
use serde_json::{Value, json};

/// Where a rule's documentation lives: `docs/rules.md` of the repository, one anchor per
/// code.
pub fn help_uri(code: Code) -> String {
    format!(
        "{}/blob/main/docs/rules.md#{}",
        env!("CARGO_PKG_REPOSITORY"),
        code.as_str().to_ascii_lowercase()
    )
}

/// The PascalCase rule name SARIF wants (`GatewayOutsideSubnet`), from the code table.
pub fn name(code: Code) -> String {
    format!("{code:?}")
}

/// Whether `s` names a rule (`GN201`, any case).
pub fn lookup(s: &str) -> Option<Code> {
    Code::ALL
        .iter()
        .copied()
        .find(|c| c.as_str().eq_ignore_ascii_case(s))
}

/// Why the rule exists and how to fix a finding (markdown).
pub fn explanation(code: Code) -> &'static str {
    use Code::*;
    match code {
        YamlSyntax => {
            "The file is not well-formed YAML or JSON, so none of its documents can be read and nothing is rendered from it. The position is where the parser gave up; the mistake is often just before it (an unclosed quote or bracket, a tab used for indentation, a key without a colon)."
        }
        LimitExceeded => {
            "guestnet refuses inputs that are too large or too deep: depth 64, 100,000 nodes after alias expansion, 256 aliases, 1 MiB per scalar, 64 MiB per file. Real manifests are far below these; hitting one usually means an alias bomb or a generated file that is not a manifest."
        }
        UnknownField => {
            "The API has no such field. The apiserver would prune or reject it, so the setting silently never reaches the guest. Usually a typo (the help names the field it most likely means; rules then judge the value as that field) or a field from another API version (`vlans`, `type`, `vmxnet3`... exist only in `v1alpha6`)."
        }
        WrongType => {
            "The value has the wrong type: a number or boolean where the API wants a string, a list where it wants a mapping. YAML resolves unquoted `1234`, `true` or `1.5` to numbers and booleans; quote them to keep a string. The value is ignored and no further rule judges it."
        }
        UnsupportedKind => {
            "The document is guestnet's to read — a `vmoperator.vmware.com` VirtualMachine or a `guestnet.dev` Network — but of an apiVersion guestnet cannot read, or without an apiVersion at all. Other kinds are never this error: they are skipped (GN407)."
        }
        MissingField => {
            "A field the API requires is missing (a route without `via`, a Network subnet without `cidr`...). The apiserver rejects the object."
        }
        Yaml11Boolean => {
            "YAML 1.1 (kubectl's reader) and YAML 1.2 (editors, JSON Schema validators, Python) disagree about unquoted `yes`, `no`, `on`, `off`, `y`, `n` and all-digit colon values such as `50:12:34:56:12:34`. Where a boolean is expected this is an error (write `true` or `false`); where a string is expected it is a warning (quote the value)."
        }
        DuplicateKey => {
            "The same key appears twice in one mapping. YAML readers differ on which value wins (most keep the last); kubectl rejects the document. Remove one of them."
        }
        CrdSchema => {
            "With `--crd FILE`, every document is also checked against the CustomResourceDefinition's `openAPIV3Schema`, as the apiserver would before the webhook runs."
        }
        TooManyInterfaces => {
            "vm-operator's webhook: a vSphere VM has at most 10 virtual ethernet cards, so `spec.network.interfaces` may have at most 10 items."
        }
        InterfaceName => {
            "vm-operator's CRD and webhook: an interface name matches `^[a-z0-9]{2,}$` and is unique within the VM. It names the NetworkInterface object vm-operator creates and, by default, the guest device."
        }
        InterfaceResourceName => {
            "vm-operator names each interface's NetworkInterface object `<vm name>-<interface name>`; that name must be a DNS-1123 subdomain (lower case, digits, `-` and `.`, at most 253 characters), or the VM never gets its network."
        }
        InvalidCidr => {
            "vm-operator's webhook: every entry of `addresses` is an IP address with a prefix length (`192.168.1.10/24`, `2001:db8::10/64`). A bare IP has no subnet, so the guest could not know its on-link network."
        }
        Gateway4 => {
            "vm-operator's webhook: `gateway4` is an IPv4 address (or `None` to suppress the network provider's gateway) and needs an IPv4 address in `addresses` unless `dhcp4` is on."
        }
        Gateway6 => {
            "vm-operator's webhook: `gateway6` is an IPv6 address (or `None`) and needs an IPv6 address in `addresses` unless `dhcp6` is on."
        }
        DhcpWithStatic => {
            "vm-operator's webhook: `dhcp4` cannot be combined with IPv4 `addresses` (nor `dhcp6` with IPv6 ones): the guest would have two sources of truth. Remove the addresses or set DHCP to false."
        }
        DhcpWithGateway => {
            "vm-operator's webhook: with DHCP the gateway comes from the DHCP server, so `gateway4` with `dhcp4` (or `gateway6` with `dhcp6`) is rejected."
        }
        InvalidNameserver => {
            "vm-operator's webhook: nameservers are IPv4 or IPv6 addresses, not host names."
        }
        RouteTo => {
            "vm-operator's webhook: a route destination is `default` or a CIDR. A bare IP is not a network; for one host write `/32` (or `/128`)."
        }
        RouteVia => "vm-operator's webhook: a route's next hop (`via`) is an IP address.",
        RouteFamily => {
            "vm-operator's webhook: a route's destination and next hop are of the same IP family."
        }
        RouteMetric => "vm-operator's CRD: a route metric is at least 1.",
        GuestDeviceName => {
            "vm-operator's CRD: `guestDeviceName` matches `^\\w\\w+$` (two or more word characters); it becomes the device name in the guest's network configuration."
        }
        MacAddress => {
            "vm-operator's CRD and webhook: `macAddr` is six colon-separated hex pairs. Quote it in YAML so that an all-digit address is not read as a number."
        }
        ProviderFeature => {
            "vm-operator's webhook rejects per-interface settings the VM's bootstrap provider cannot apply (per-interface nameservers and search domains with LinuxPrep, MTU or routes with Sysprep...). The help names the providers that can."
        }
        GlobalDns => {
            "vm-operator's webhook: global `spec.network.nameservers`/`searchDomains` are only usable with bootstrap providers that apply them."
        }
        HostName => {
            "vm-operator's webhook: the host name (`spec.network.hostName`, or `metadata.name` when absent) is an RFC 1123 label: letters, digits and `-`, at most 63 characters, not starting or ending with `-`."
        }
        HostNameIp => {
            "vm-operator's webhook: the host name may be an IP address only when no domain name is set."
        }
        WindowsHostName => {
            "vm-operator's webhook: a Windows guest (guestID `win*` or Sysprep) has a NetBIOS computer name of at most 15 bytes. On update (`--against`), a Sysprep VM whose previous revision already had a longer name keeps it, as the webhook allows."
        }
        DomainName => "vm-operator's webhook: `spec.network.domainName` is an RFC 1123 DNS name.",
        FqdnLength => {
            "vm-operator's webhook: host name and domain name together are at most 255 characters."
        }
        BootstrapCombination => {
            "vm-operator's webhook: CloudInit cannot be combined with any other bootstrap provider, and LinuxPrep and Sysprep exclude each other (vAppConfig may accompany either)."
        }
        CloudInit => {
            "vm-operator's webhook rules for the CloudInit bootstrap provider (cloudConfig and rawCloudConfig are mutually exclusive, ...)."
        }
        Sysprep => {
            "vm-operator's webhook rules for the Sysprep bootstrap provider (sysprep and rawSysprep are mutually exclusive, autoLogon needs a password, ...)."
        }
        VAppConfig => {
            "vm-operator's webhook rules for the vAppConfig bootstrap provider (properties and rawProperties are mutually exclusive, ...)."
        }
        LinuxPrep => "vm-operator's webhook rules for the LinuxPrep bootstrap provider.",
        Vlan => {
            "vm-operator's webhook rules for `spec.network.vlans` (v1alpha6): CloudInit only, a link to an existing interface, an ID in 1..4094, a unique name."
        }
        Vmxnet3 => {
            "vm-operator's webhook rules for the NIC `type`, the `vmxnet3` settings and `advancedProperties` (v1alpha6)."
        }
        NetworkProvider => {
            "A rule vm-operator applies only for some network providers (VDS, NSX-T, VPC), which an offline tool cannot see: a warning by default, the webhook's error with `--provider` or `provider:` in `.guestnet.yaml`."
        }
        IpamModes => "vm-operator's webhook rules for `ipamModes` and `vnumaNodeID` (v1alpha6).",
        VAppTemplate => {
            "vm-operator evaluates vApp property values as Go templates; when evaluation fails it silently uses the raw text, so the guest sees `{{ ... }}`. guestnet evaluates them offline against the VM and reports the failure."
        }
        VAppTemplateUnsupported => {
            "A vApp template construct that depends on cluster state guestnet cannot see offline; the rendered value is a placeholder."
        }
        UpdateForbidden => {
            "With `--against REV` (the pre-commit hook compares the index with `HEAD`), each VirtualMachine is compared with its previous revision, and vm-operator's update-time webhook rules apply: interfaces cannot be added, removed, renamed or moved to another network, a MAC cannot change (unless the `MutableNetworks` feature gate is on, which only keeps MACs per interface and network), the bootstrap provider, image, storage class, class (without `VMResize`), BIOS/instance UUIDs, resource policy and zone label are immutable, guestID cannot change while powered on, and the hardware version cannot be downgraded or upgraded while powered on. The apiserver would reject the commit's `kubectl apply`; delete and recreate the VM instead, or revert the change."
        }
        GatewayOutsideSubnet => {
            "The gateway is not inside any subnet of the interface's static addresses, so the guest has no on-link route to it and its default route never works. Fix the gateway or the prefix length."
        }
        NonCanonicalCidr => {
            "The CIDR has host bits set (`10.0.0.5/24` as a route destination means `10.0.0.0/24`). Consumers differ: some mask it, netplan rejects it in routes. Write the network address."
        }
        MtuRange => {
            "The MTU is outside what guests and vSphere accept (68..9000 for IPv4; 1280..9000 with IPv6 addresses)."
        }
        TooManyNameservers => {
            "Linux's resolver (glibc, `MAXNS`) uses only the first three nameservers; the rest are ignored."
        }
        Duplicate => {
            "The same address, MAC or guest device name appears twice within one VM; the guest would configure a conflict."
        }
        DuplicateInBatch => {
            "Two VMs in the same batch scope share a static address, MAC or host name: each is valid alone, but they will fight once both boot. Scopes (`scopes:` in `.guestnet.yaml`) keep dev and prod overlays apart."
        }
        MacRange => {
            "A static MAC outside VMware's manual range (00:50:56:00:00:00-00:50:56:3F:FF:FF) may collide with generated ones, and a multicast MAC cannot be assigned."
        }
        WindowsComputerName => {
            "A Windows computer name may not contain `\\ / : * ? \" < > |` and may not be all digits; Sysprep fails in the guest."
        }
        OutsideNetwork => {
            "A static address is outside every subnet of the Network catalog entry the interface is attached to."
        }
        SearchDomain => {
            "A search domain is not a DNS name (RFC 1123 labels separated by dots); resolvers ignore or reject it."
        }
        UnreachableVia => {
            "A route's next hop is not inside any subnet of the interface, so the guest cannot reach it unless another route covers it."
        }
        UnusableAddress => {
            "The address cannot be assigned to an interface: a network or broadcast address, loopback, multicast, unspecified or link-local."
        }
        MultipleDefaultRoutes => {
            "More than one default route per IP family (gateways and `default`/`0.0.0.0/0` routes with the same metric): the guest picks one unpredictably."
        }
        NoAddressing => {
            "The interface has neither DHCP nor static addresses; the guest brings it up without an IP address (fine for a trunk or a VLAN parent)."
        }
        GatewayIsAddress => "The gateway equals one of the interface's own addresses.",
        UnknownNetwork => {
            "The interface's `network.name` has no matching `guestnet.dev/v1alpha1` Network in the batch or in the configuration's `catalogs:`, so catalog defaults and subnet checks do not apply."
        }
        XmlInput => {
            "`guestnet convert --from gosc|vapp` input is not well-formed XML or not a vim25 CustomizationSpec / OVF environment."
        }
        UnsafeValue => {
            "The value contains characters a guest artifact format cannot carry safely (control characters, newlines in a one-line format, XML-forbidden characters). guestnet never writes it, because it could change the artifact's structure."
        }
        TimeZone => {
            "The time zone is not a tz database name (`Europe/Berlin`) nor a Windows time zone index, depending on the provider."
        }
        VAppPropertyKey => "A vApp property key must be usable as an OVF property id.",
        NicIdentity => {
            "How artifacts find the guest's network devices: with `--mac-policy pci-order` MACs are not used; with `spec` an interface without `macAddr` is matched by name only."
        }
        LossyTranslation => {
            "The rendered target cannot express this value (a second IPv4 address in GOSC, an MTU in cust.cfg, routes in GOSC...): the guest will not get it from this artifact."
        }
        EquivalentForm => {
            "A value is written in an equivalent form every consumer accepts (a `default` route as `0.0.0.0/0`, because cloud-init before 25.1 rejects `to: default`)."
        }
        ApiVersionDropped => {
            "The requested vSphere API version (`--api-version`) has no element for this value, so the GOSC spec leaves it out."
        }
        GoscLimit => "A value exceeds what a vim25 CustomizationSpec can carry.",
        CustCfgPrimary => {
            "cust.cfg gives the default route to the PRIMARY NIC only; gateways on other NICs are ignored by the guest."
        }
        CustCfgNeedsMac => {
            "cust.cfg identifies NICs by MAC only: every interface needs `macAddr` (or `--mac-policy derive`)."
        }
        TargetUnused => {
            "The VM's bootstrap provider does not read this artifact; it is rendered for reference."
        }
        ObjectName => {
            "`metadata.name` and `metadata.namespace` must be names the Kubernetes API server accepts (a VirtualMachine's name is a DNS-1123 subdomain, a namespace a DNS-1123 label); `kubectl apply` fails otherwise, before any webhook runs."
        }
        SecretReference => {
            "A Secret reference (`rawCloudConfig`, Sysprep passwords, `rawSysprep`...) names a Secret or key that no Kubernetes Secret can have (a Secret name is a DNS-1123 subdomain; a key is made of letters, digits, `-`, `_` and `.`), so the VM can never be bootstrapped."
        }
        JinjaText => {
            "vm-operator (and guestnet) write cloud-init user data with `## template: jinja`, so cloud-init renders it through Jinja in the guest: `{{ }}`, `{% %}` and `{# #}` in a cloudConfig value are evaluated there. An intended `{{ v1.local_hostname }}` works; text that merely looks like a template is replaced, and a broken one makes cloud-init drop the whole user data."
        }
        Skipped => {
            "The document is not guestnet's: another Kubernetes kind (including vm-operator's VirtualMachineService, VirtualMachineClass...), YAML that is not a Kubernetes object (values.yaml, Chart.yaml, kustomization.yaml, workflows), a Helm template, or a kustomize patch. It is counted in `--summary` and listed with `--info`; with `--strict-kinds` (or `strictKinds: true`) it is an error."
        }
        // A code added without an explanation: the test below names it.
        #[allow(unreachable_patterns)]
        Unreadable => {
            "The input could not be read: a permission error, an I/O error, or a file that vanished or changed during the run. Nothing from it is judged or rendered, and the run exits 2 (not 1) because this is a problem with the machine, not with the manifest."
        }
        MacAddrNetwork => {
            "vm-operator's webhook accepts `macAddr` only on VPC networks (network.apiVersion in crd.nsx.vmware.com): on a vSphere Distributed or NSX-T network the MAC is assigned by vSphere and a requested one is refused. Remove `macAddr`, or use --mac-policy derive to give offline artifacts stable MACs."
        }
        FeatureGate => {
            "The field exists in the API but vm-operator only accepts it when a feature gate is on (`vlans` needs VMVlanSubinterface, `ipamModes` WorkloadIPv6, the VCD parity fields GuestCustomizationVCDParity). Gates default to on; `--feature-gates` or `.guestnet.yaml` featureGates says which ones your supervisor has off, and the webhook's text is reproduced."
        }
        NetworkApiVersion => {
            "`network.apiVersion` must be a Kubernetes group/version such as `crd.nsx.vmware.com/v1alpha1`; the webhook parses it and rejects anything else. A wrong one also changes which provider rules apply."
        }
        ExtraConfig => {
            "`spec.advanced.extraConfig` may not set keys vm-operator manages itself (`guestinfo.*`, `ethernetN.*` and the other reserved keys): the controller would overwrite them or the webhook refuses them. Use the bootstrap and network fields that produce those keys instead."
        }
        InterfaceNameLength => {
            "A Linux interface name has at most 15 bytes (IFNAMSIZ). cloud-init and netplan would try to rename the device to this name and fail, leaving the guest without that network. vm-operator does not check it; guestnet does."
        }
        MulticastMac => {
            "The MAC address has the group (multicast) bit set in its first byte. No network adapter can use it: vSphere refuses it or the guest drops its traffic. Use a unicast address (the first byte even), such as VMware's 00:50:56 range."
        }
        DuplicateHostNameInBatch => {
            "Two VMs of the batch end up with the same host name (FQDN). Each boots, but DNS, certificates and monitoring see one machine. Reported at every place, each naming the others."
        }
        SubnetPrefixMismatch => {
            "The address's prefix length differs from the subnet the network catalog gives for it: the guest would compute a different broadcast domain and may not reach its gateway or neighbours."
        }
        ConsumerDisagreement => {
            "Two consumers of the same artifact read this input differently (cloud-init and VMware's customization engine, for example), so the guest's configuration depends on which one runs. guestnet names both readings; write the value so they agree."
        }
        VmxKeyCase => {
            "ESXi reads VMX keys case-insensitively, so an advancedProperties key that differs from a reserved or first-class VMX key only in case still overrides it. vm-operator compares case-sensitively and lets it through; guestnet refuses it."
        }
        JinjaSyntax => {
            "cloud-init renders user-data that starts with `## template: jinja` through Jinja; an opened `{{`, `{%` or `{#` that is never closed makes that a TemplateSyntaxError and cloud-init drops the whole user-data at boot. Close the delimiter, or escape it."
        }
        Allocation => {
            "guestnet allocates addresses from the ranges of a network catalog for interfaces that ask for one: a range outside its subnet is invalid, and a batch that asks for more addresses than are free gets this error at the interface that did not get one (with --ipam-state, earlier allocations are kept)."
        }
        ApiVersionTooOld => {
            "The vSphere API version given with --api-version has no CustomizationSpec element for this bootstrap at all (CloudinitPrep needs 7.0.3): nothing could be sent to such a vCenter."
        }
        TargetNotRendered => {
            "With --target all, a target that cannot be rendered for a VM (cust.cfg needs every NIC's MAC) is left out with this warning, and the VM keeps the targets it can have. A target named explicitly stays an error."
        }
        CustCfgNoNics => {
            "cust.cfg describes the guest's network by its NICs; a VM without network interfaces has nothing it can say. A warning when the VM's bootstrap does not read cust.cfg (the file is then a preview)."
        }
        CustCfgPrimaryConflict => {
            "A cust.cfg read back marks more than one NIC as PRIMARY; the customization engine then picks one default route arbitrarily."
        }
        ConversionDropped => {
            "The document is an older apiVersion, and vm-operator's conversion to the stored version drops this field: it has no place in v1alpha6 and never reaches the guest. Move it to its v1alpha6 equivalent (the message says which) or remove it."
        }
        ConversionRewritten => {
            "The document is an older apiVersion, and vm-operator's conversion writes this field in another form (a v1alpha1 interface becomes `eth<i>`, `dhcp4: false` becomes unset). Informational: the result means the same; explain shows where each value went."
        }
        ConversionRestored => {
            "The VM carries vm-operator's conversion annotation (the saved v1alpha6 object), and the conversion restores these fields from it: edits to them in the old-version spec do not take effect."
        }
        CustomizationSkipped => {
            "With `customizeAtNextPowerOn: false` (or a bootstrap that is disabled) vm-operator sends no CustomizationSpec, so the GOSC artifacts describe what would be sent, not what happens."
        }
        Placeholder => {
            "The value is known only in the cluster or at submit time (a Secret's content, guest credentials, the port group of the namespace's default network). The artifact carries an unforgeable placeholder or leaves it out; `guestnet submit` fills it."
        }
        NicMatchNote => {
            "No MAC is known for the NIC, so the artifact identifies it by device name or PCI order instead. That works when the guest's device order matches the spec; set macAddr or use --mac-policy derive to match by MAC."
        }
        ConsumerNote => {
            "How the artifact or its consumer represents a value (an equivalent spelling, a default it applies). Informational, shown with --info."
        }
        NotConverted => {
            "`guestnet convert` read a guest artifact, and this value of it has no place in a VirtualMachine, so it is not carried over."
        }
        SkippedInput => {
            "The path is not read: it is not a regular file (a FIFO, a socket, a device) or it is a link a directory walk does not follow (walks never follow links, so a link cannot pull files from outside the repository or loop). Name the file directly to read it."
        }
    }
}

/// `rules --format json` and SARIF share this description of a rule.
pub fn json(code: Code) -> Value {
    json!({
        "code": code.as_str(),
        "name": name(code),
        "severity": code.default_severity().to_string(),
        "title": code.title(),
        "explanation": explanation(code),
        "helpUri": help_uri(code),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    /// docs/rules.md
    Markdown,
}

/// `guestnet rules [CODE] [--format F]`.
pub fn render(code: Option<&str>, format: RulesFormat) -> Result<String, String> {
    let codes: Vec<Code> = match code {
        None => Code::ALL.to_vec(),
        Some(c) => vec![
            lookup(c).ok_or_else(|| format!("{c} is not a rule; `guestnet rules` lists them"))?,
        ],
    };
    Ok(match (format, code) {
        (RulesFormat::Json, _) => {
            let v: Vec<Value> = codes.iter().map(|c| json(*c)).collect();
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        (RulesFormat::Markdown, _) => markdown(),
        (RulesFormat::Text, None) => table(),
        (RulesFormat::Text, Some(_)) => codes.iter().map(|c| long(*c)).collect(),
    })
}

/// The aligned table of `guestnet rules`.
pub fn table() -> String {
    let width = Code::ALL.iter().map(|c| name(*c).len()).max().unwrap_or(0);
    let mut out = format!(
        "{:<5}  {:<7}  {:<width$}  TITLE\n",
        "CODE", "DEFAULT", "NAME"
    );
    for c in Code::ALL {
        out.push_str(&format!(
            "{}  {:<7}  {:<width$}  {}\n",
            c.as_str(),
            c.default_severity().to_string(),
            name(*c),
            c.title()
        ));
    }
    out
}

/// One rule for people: `guestnet rules GN201`, `guestnet explain GN201`.
pub fn long(code: Code) -> String {
    format!(
        "{} {} ({}, default {})\n\n{}\n\n{}\n",
        code.as_str(),
        name(code),
        code.title(),
        code.default_severity(),
        wrap(explanation(code), 88),
        help_uri(code)
    )
}

/// `docs/rules.md`: every rule with its anchor, generated from this table.
pub fn markdown() -> String {
    let mut out = String::from(
        "# guestnet rules\n\n<!-- generated by `guestnet rules --format markdown`; a test keeps it fresh -->\n\nCodes are stable: `GN0xx` input, `GN1xx` vm-operator parity (the webhook's own messages), `GN2xx` checks vm-operator lacks, `GN3xx` lossy translation, `GN4xx` informational. Change a rule's severity or turn it off in `.guestnet.yaml` (`rules: {GN204: off}`), or suppress one finding with `# guestnet:ignore GN204 reason`.\n\n",
    );
    for c in Code::ALL {
        out.push_str(&format!(
            "## {}\n\n**{}** — {} (default: {})\n\n{}\n\n",
            c.as_str().to_ascii_lowercase(),
            name(*c),
            c.title(),
            severity_word(c.default_severity()),
            explanation(*c)
        ));
    }
    out
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_explained_and_named() {
        for c in Code::ALL {
            assert!(explanation(*c).len() > 40, "{c} needs a real explanation");
            assert!(
                name(*c)
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_uppercase())
            );
            assert_eq!(lookup(&c.as_str().to_ascii_lowercase()), Some(*c));
        }
        assert_eq!(lookup("GN999"), None);
        assert_eq!(name(Code::GatewayOutsideSubnet), "GatewayOutsideSubnet");
    }

    #[test]
    fn table_is_aligned() {
        let t = table();
        let header = t.lines().next().unwrap();
        let (name_col, title_col) = (header.find("NAME").unwrap(), header.find("TITLE").unwrap());
        for (line, c) in t.lines().skip(1).zip(Code::ALL) {
            assert_eq!(line.find(&name(*c)), Some(name_col), "{line}");
            assert_eq!(line.find(c.title()), Some(title_col), "{line}");
        }
        assert_eq!(t.lines().count(), Code::ALL.len() + 1);
    }
}
