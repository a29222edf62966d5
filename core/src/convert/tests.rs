//! Conversion unit tests: each rule of vm-operator's conversion, the path map through the
//! whole pipeline (a finding on a model path lands on the field the user wrote), and down
//! conversion's loss report.

use super::*;

use crate::diagnostic::Severity;
use crate::model::ApiVersion::*;
use crate::pipeline::{CompileOptions, Input, compile_str, load};
use crate::source::yaml::{Limits, parse_documents};
use crate::validate::NetworkProvider;

fn up_yaml(text: &str) -> (Converted, Vec<Diagnostic>) {
    let docs = parse_documents(text, &Limits::default()).unwrap();
    let root = &docs[0].root;
    let v = ApiVersion::parse(root.get("apiVersion").and_then(Node::as_str).unwrap()).unwrap();
    let sink = Sink::for_version(v);
    let c = super::load(root, v, &sink).unwrap();
    (c, sink.diagnostics.into_inner())
}

fn codes(ds: &[Diagnostic]) -> Vec<(&'static str, &str)> {
    ds.iter()
        .map(|d| (d.code.as_str(), d.path.as_str()))
        .collect()
}

/// `(code, path, line, column)` of every finding of a compiled text, info included.
fn located(text: &str, opts: &CompileOptions) -> Vec<(String, String, u32, u32)> {
    compile_str(text, &[], opts)
        .all_diagnostics()
        .map(|d| {
            (
                d.code.as_str().to_string(),
                d.path.clone(),
                d.line.unwrap_or(0),
                d.column.unwrap_or(0),
            )
        })
        .collect()
}

const V2: &str = "apiVersion: vmoperator.vmware.com/v1alpha2
kind: VirtualMachine
metadata:
  name: web-01
  namespace: prod
  annotations:
    vmoperator.vmware.com/pause-reconcile: \"true\"
spec:
  className: small
  imageName: ubuntu-22.04
  network:
    hostName: web-01
    interfaces:
    - name: eth0
      network: {name: vm-network, kind: Network, apiVersion: netoperator.vmware.com/v1alpha1}
      addresses: [10.0.0.21/24]
      gateway4: 10.0.0.1
      dhcp4: false
      dhcp6: true
  bootstrap:
    sysprep:
      sysprep:
        guiRunOnce: {}
        identification:
          domainAdmin: admin
          joinDomain: corp.example.com
        userData: {fullName: Ops, orgName: Example}
";

#[test]
fn v1alpha2_converts_like_vm_operator() {
    let (c, diags) = up_yaml(V2);
    assert!(diags.is_empty(), "{diags:?}");
    let vm = &c.vm;
    assert_eq!(vm.api_version, "vmoperator.vmware.com/v1alpha6");
    // The pause annotation is renamed.
    assert_eq!(
        vm.metadata
            .annotations
            .get("vmoperator.vmware.com/paused")
            .map(String::as_str),
        Some("true")
    );
    assert!(
        !vm.metadata
            .annotations
            .contains_key("vmoperator.vmware.com/pause-reconcile")
    );
    let net = vm.network().unwrap();
    // joinDomain becomes the network's domain name.
    assert_eq!(net.domain_name.as_deref(), Some("corp.example.com"));
    let f = &net.interfaces[0];
    assert_eq!((f.dhcp4, f.dhcp6), (None, Some(true)));
    assert_eq!(f.addresses, vec!["10.0.0.21/24"]);
    let sp = vm
        .bootstrap()
        .unwrap()
        .sysprep
        .as_ref()
        .unwrap()
        .sysprep
        .as_ref()
        .unwrap();
    // A Go struct value left empty is not a guiRunOnce.
    assert_eq!(sp.gui_run_once, None);
    assert_eq!(
        sp.identification.as_ref().unwrap().domain_admin.as_deref(),
        Some("admin")
    );
    assert_eq!(
        codes(&c.findings),
        vec![
            ("GN331", "spec.network.interfaces[0].dhcp4"),
            (
                "GN331",
                "spec.bootstrap.sysprep.sysprep.identification.joinDomain"
            ),
        ]
    );
    assert_eq!(
        c.paths.source_path("spec.network.domainName").as_deref(),
        Some("spec.bootstrap.sysprep.sysprep.identification.joinDomain")
    );
    assert_eq!(
        c.paths
            .source_path("spec.network.interfaces[0].gateway4")
            .as_deref(),
        Some("spec.network.interfaces[0].gateway4")
    );
}

#[test]
fn v1alpha2_guirunonce_with_a_commands_list_survives() {
    let (c, _) = up_yaml(&V2.replace("guiRunOnce: {}", "guiRunOnce: {commands: []}"));
    let sp =
        c.vm.spec
            .bootstrap
            .unwrap()
            .sysprep
            .unwrap()
            .sysprep
            .unwrap();
    assert_eq!(sp.gui_run_once, Some(crate::model::GuiRunOnce::default()));
}

#[test]
fn v1alpha2_generation_sets_the_image_from_status_or_image_name() {
    let text = V2.replace(
        "  namespace: prod\n",
        "  namespace: prod\n  generation: 3\n",
    );
    let (c, _) = up_yaml(&text);
    assert_eq!(
        c.vm.spec.image,
        Some(serde_json::json!({"name": "ubuntu-22.04"}))
    );
    let text =
        format!("{text}status:\n  image: {{kind: ClusterVirtualMachineImage, name: vmi-0123}}\n");
    let (c, _) = up_yaml(&text);
    assert_eq!(
        c.vm.spec.image,
        Some(serde_json::json!({"kind": "ClusterVirtualMachineImage", "name": "vmi-0123"}))
    );
    assert_eq!(c.vm.status, None);
    // A new VM (generation 0) leaves spec.image to the mutation webhook.
    assert_eq!(up_yaml(V2).0.vm.spec.image, None);
}

#[test]
fn v1alpha3_and_v1alpha4_move_cdrom_to_hardware() {
    let v3 = "apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachine
metadata: {name: vm1}
spec:
  guestID: ubuntu64Guest
  biosUUID: 6b8f1c0e-0000-4000-8000-000000000001
  cdrom:
  - name: cdrom1
    image: {kind: VirtualMachineImage, name: vmi-iso}
  network:
    domainName: example.com
    interfaces: [{name: eth0, dhcp4: true}]
  bootstrap:
    cloudInit: {instanceID: iid-1}
";
    let (c, diags) = up_yaml(v3);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        c.vm.spec.hardware,
        Some(
            serde_json::json!({"cdrom": [{"name": "cdrom1", "image": {"kind": "VirtualMachineImage", "name": "vmi-iso"}}]})
        )
    );
    assert_eq!(c.vm.spec.guest_id.as_deref(), Some("ubuntu64Guest"));
    assert_eq!(
        c.vm.cloud_init().unwrap().instance_id.as_deref(),
        Some("iid-1")
    );
    assert_eq!(
        c.paths
            .source_path("spec.hardware.cdrom[0].name")
            .as_deref(),
        Some("spec.cdrom[0].name")
    );
    assert!(c.findings.is_empty());
    // v1alpha4 is the same plus promoteDisksMode; v1alpha3 does not know it.
    let v4 = v3.replace("v1alpha3", "v1alpha4") + "  promoteDisksMode: Offline\n";
    let (c4, diags) = up_yaml(&v4);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(c4.vm.spec.promote_disks_mode.as_deref(), Some("Offline"));
    assert_eq!(c4.vm.spec.hardware, c.vm.spec.hardware);
    let (_, diags) = up_yaml(&(v3.to_string() + "  promoteDisksMode: Offline\n"));
    assert_eq!(codes(&diags), vec![("GN003", "spec.promoteDisksMode")]);
    assert_eq!(
        diags[0].help.as_deref(),
        Some(
            "this field exists only in vmoperator.vmware.com/v1alpha4 and later; change apiVersion"
        )
    );
}

const V1: &str = "apiVersion: vmoperator.vmware.com/v1alpha1
kind: VirtualMachine
metadata:
  name: legacy
  namespace: dev
spec:
  className: small
  imageName: centos-8
  powerState: poweredOn
  powerOffMode: trySoft
  resourcePolicyName: my-policy
  networkInterfaces:
  - networkName: dev-net
    networkType: nsx-t
  - networkName: backup
    networkType: vsphere-distributed
    ethernetCardType: e1000
    providerRef: {apiGroup: netoperator.vmware.com, kind: NetworkInterface, name: x}
  - {}
  vmMetadata:
    configMapName: legacy-cloud-init
    transport: CloudInit
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data-pvc}
  - name: boot
    vSphereVolume: {deviceKey: 2000, capacity: {ephemeral-storage: 40Gi}}
  advancedOptions:
    defaultVolumeProvisioningOptions: {thinProvisioned: true}
  ports:
  - {name: ssh, port: 22, protocol: TCP, ip: 0.0.0.0}
";

#[test]
fn v1alpha1_converts_like_vm_operator() {
    let (c, diags) = up_yaml(V1);
    assert!(diags.is_empty(), "{diags:?}");
    let vm = &c.vm;
    let ifs = vm.interfaces();
    assert_eq!(
        ifs.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        vec!["eth0", "eth1", "eth2"]
    );
    let n0 = ifs[0].network.as_ref().unwrap();
    assert_eq!(
        (
            n0.api_version.as_deref(),
            n0.kind.as_deref(),
            n0.name.as_str()
        ),
        (
            Some("vmware.com/v1alpha1"),
            Some("VirtualNetwork"),
            "dev-net"
        )
    );
    let n1 = ifs[1].network.as_ref().unwrap();
    assert_eq!(
        (n1.api_version.as_deref(), n1.kind.as_deref()),
        (Some("netoperator.vmware.com/v1alpha1"), Some("Network"))
    );
    assert_eq!(ifs[2].network, None);
    let ci = vm.cloud_init().unwrap();
    let raw = ci.raw_cloud_config.as_ref().unwrap();
    assert_eq!(
        (raw.name.as_str(), raw.key.as_deref()),
        ("legacy-cloud-init", Some("user-data"))
    );
    assert_eq!(
        vm.metadata
            .annotations
            .get("vmoperator.vmware.com/v1a1-configmap-md-transport")
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(vm.spec.power_state.as_deref(), Some("PoweredOn"));
    assert_eq!(vm.spec.power_off_mode.as_deref(), Some("TrySoft"));
    assert_eq!(
        vm.spec.reserved,
        Some(serde_json::json!({"resourcePolicyName": "my-policy"}))
    );
    assert_eq!(
        vm.spec.advanced,
        Some(
            serde_json::json!({"bootDiskCapacity": "40Gi", "defaultVolumeProvisioningMode": "Thin"})
        )
    );
    assert_eq!(
        vm.spec.volumes,
        Some(
            serde_json::json!([{"name": "data", "persistentVolumeClaim": {"claimName": "data-pvc"}}, {"name": "boot"}])
        )
    );
    let dropped: Vec<&str> = c
        .findings
        .iter()
        .filter(|d| d.code == Code::ConversionDropped)
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(
        dropped,
        vec![
            "spec.networkInterfaces[1].providerRef",
            "spec.networkInterfaces[1].ethernetCardType",
            "spec.ports"
        ]
    );
    assert_eq!(
        c.paths
            .source_path("spec.network.interfaces[0].network.name")
            .as_deref(),
        Some("spec.networkInterfaces[0].networkName")
    );
    assert_eq!(
        c.paths
            .source_path("spec.network.interfaces[1].network.kind")
            .as_deref(),
        Some("spec.networkInterfaces[1].networkType")
    );
    assert_eq!(
        c.paths
            .source_path("spec.network.interfaces[2].name")
            .as_deref(),
        Some("spec.networkInterfaces[2]")
    );
    assert_eq!(
        c.paths
            .source_path("spec.bootstrap.cloudInit.rawCloudConfig.name")
            .as_deref(),
        Some("spec.vmMetadata.configMapName")
    );
}

#[test]
fn v1alpha1_transports() {
    let with = |transport: &str, object: &str| {
        let text = format!(
            "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\nmetadata: {{name: a}}\nspec:\n  vmMetadata: {{transport: {transport}{object}}}\n"
        );
        up_yaml(&text)
    };
    let bs = |c: &Converted| serde_json::to_value(c.vm.bootstrap()).unwrap();
    let (c, _) = with("ExtraConfig", ", secretName: s");
    assert_eq!(
        bs(&c),
        serde_json::json!({"cloudInit": {"rawCloudConfig": {"name": "s", "key": "guestinfo.userdata"}}})
    );
    assert!(
        c.findings
            .iter()
            .any(|d| d.code == Code::ConversionDropped && d.path == "spec.vmMetadata.transport")
    );
    let (c, _) = with("OvfEnv", ", secretName: s");
    assert_eq!(
        bs(&c),
        serde_json::json!({"linuxPrep": {"hardwareClockIsUTC": true}, "vAppConfig": {"rawProperties": "s"}})
    );
    let (c, _) = with("vAppConfig", ", secretName: s");
    assert_eq!(
        bs(&c),
        serde_json::json!({"vAppConfig": {"rawProperties": "s"}})
    );
    let (c, _) = with("Sysprep", ", secretName: s");
    assert_eq!(
        bs(&c),
        serde_json::json!({"sysprep": {"rawSysprep": {"name": "s", "key": "unattend"}}})
    );
    let (c, _) = with("CloudInit", "");
    assert_eq!(bs(&c), serde_json::json!({"cloudInit": {}}));
    // Not a transport: the apiserver rejects it (and the conversion would make nothing).
    let (c, _) = with("Guestinfo", ", secretName: s");
    assert_eq!(bs(&c), serde_json::json!({}));
    assert_eq!(
        codes(&c.findings),
        vec![
            ("GN004", "spec.vmMetadata.transport"),
            ("GN330", "spec.vmMetadata.secretName")
        ]
    );
    assert!(c.findings[0].message.starts_with(
        "Unsupported value: \"Guestinfo\": supported values: \"ExtraConfig\", \"OvfEnv\""
    ));
}

#[test]
fn unknown_fields_are_unknown_for_the_document_version() {
    let (_, diags) = up_yaml(
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\nmetadata: {name: a}\nspec:\n  network: {}\n  bootstrap: {}\n  networkInterface: []\n",
    );
    let got: Vec<(&str, Option<&str>)> = diags
        .iter()
        .map(|d| (d.path.as_str(), d.help.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "spec.network",
                Some(
                    "this field exists only in vmoperator.vmware.com/v1alpha2 and later; change apiVersion"
                )
            ),
            (
                "spec.bootstrap",
                Some(
                    "this field exists only in vmoperator.vmware.com/v1alpha2 and later; change apiVersion"
                )
            ),
            (
                "spec.networkInterface",
                Some("did you mean `networkInterfaces`?")
            ),
        ]
    );
    // v1alpha3 fields in v1alpha2, and v1alpha2's joinDomain in v1alpha3.
    let (_, d2) = up_yaml(&V2.replace(
        "    hostName: web-01\n",
        "    hostName: web-01\n    domainName: x.com\n",
    ));
    assert_eq!(codes(&d2), vec![("GN003", "spec.network.domainName")]);
    let (_, d3) = up_yaml(&V2.replace("v1alpha2", "v1alpha3"));
    assert_eq!(
        codes(&d3),
        vec![(
            "GN003",
            "spec.bootstrap.sysprep.sysprep.identification.joinDomain"
        )]
    );
    assert_eq!(
        d3[0].help.as_deref(),
        Some(
            "this field exists only in vmoperator.vmware.com/v1alpha2; v1alpha3 has spec.network.domainName instead"
        )
    );
}

/// A rule's finding on a model path is shown where the old document wrote the value, and
/// keeps the webhook's (model) path.
#[test]
fn findings_on_converted_documents_point_at_the_old_fields() {
    // v1alpha2: the domain from joinDomain is invalid.
    let bad = V2.replace("corp.example.com", "-corp.example.com");
    let got = located(&bad, &CompileOptions::default());
    let line = bad.lines().position(|l| l.contains("joinDomain")).unwrap() as u32 + 1;
    assert!(
        got.contains(&("GN123".into(), "spec.network.domainName".into(), line, 23)),
        "{got:?}"
    );
    // v1alpha2: same path as the model, same place.
    let bad = V2.replace("gateway4: 10.0.0.1", "gateway4: 10.0.1.1");
    let got = located(&bad, &CompileOptions::default());
    assert!(
        got.contains(&(
            "GN201".into(),
            "spec.network.interfaces[0].gateway4".into(),
            17,
            17
        )),
        "{got:?}"
    );
    // v1alpha1: the provider rule on the reference's apiVersion lands on networkType.
    let mut opts = CompileOptions::default();
    opts.validate.provider = Some(NetworkProvider::Vds);
    let got = located(V1, &opts);
    assert!(
        got.contains(&(
            "GN142".into(),
            "spec.network.interfaces[0].network.apiVersion".into(),
            14,
            18
        )),
        "{got:?}"
    );
    // v1alpha1: an empty network name, reported at the networkName the user left empty.
    let text = V1.replace("- networkName: dev-net", "- networkName: \"\"");
    let got = located(&text, &CompileOptions::default());
    assert!(
        got.contains(&(
            "GN006".into(),
            "spec.network.interfaces[0].network.name".into(),
            13,
            18
        )),
        "{got:?}"
    );
}

#[test]
fn poisoned_old_fields_are_not_reported_again_by_model_rules() {
    // networkName of the wrong type: the loader reports it once; the model's empty name
    // (made from it) is not reported again.
    let text = V1.replace("- networkName: dev-net", "- networkName: [dev-net]");
    let c = compile_str(&text, &[], &CompileOptions::default());
    let at_name: Vec<&str> = c
        .all_diagnostics()
        .filter(|d| d.line == Some(13) && d.severity == Severity::Error)
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(at_name, vec!["GN004"]);
}

#[test]
fn load_keeps_the_source_version_and_the_path_map() {
    let docs = load(V1, &Limits::default()).unwrap();
    assert!(matches!(
        docs[0].input,
        Some(Input::VirtualMachine(_, V1alpha1))
    ));
    assert!(!docs[0].paths.is_identity());
    // Other kinds of an old version are not VirtualMachines.
    let docs = load(
        "apiVersion: vmoperator.vmware.com/v1alpha2\nkind: VirtualMachineService\nmetadata: {name: a}\n",
        &Limits::default(),
    )
    .unwrap();
    // Other kinds of vm-operator's group are someone else's: skipped, never an error.
    assert!(matches!(docs[0].input, Some(Input::Skipped(_))));
    assert_eq!(docs[0].diagnostics[0].code, Code::Skipped);
}

fn hub(text: &str) -> VirtualMachine {
    let c = compile_str(text, &[], &CompileOptions::default());
    c.units[0].vm.clone().unwrap()
}

const V6: &str = "apiVersion: vmoperator.vmware.com/v1alpha6
kind: VirtualMachine
metadata: {name: vm6, namespace: ns}
spec:
  guestID: windows2019srv_64Guest
  network:
    domainName: corp.example.com
    interfaces:
    - name: eth0
      type: VMXNet3
      addresses: [10.0.0.5/24]
      gateway4: 10.0.0.1
      dhcp6: false
    vlans: [{name: vlan10, id: 10, link: eth0}]
  bootstrap:
    sysprep:
      sysprep:
        identification: {joinWorkgroup: WG}
        userData: {fullName: A, orgName: B}
";

#[test]
fn down_reports_what_a_version_cannot_carry() {
    let vm = hub(V6);
    let d5 = down(&vm, V1alpha5).unwrap();
    assert_eq!(
        codes(&d5.findings),
        vec![
            ("GN331", "spec.network.interfaces[0].dhcp6"),
            ("GN330", "spec.network.interfaces[0].type"),
            ("GN330", "spec.network.vlans"),
        ]
    );
    assert_eq!(d5.value["apiVersion"], "vmoperator.vmware.com/v1alpha5");
    assert!(d5.value["spec"]["network"].get("vlans").is_none());
    // v1alpha2 keeps the domain in joinDomain when there is an identification to put it in.
    let d2 = down(&vm, V1alpha2).unwrap();
    assert_eq!(
        d2.value["spec"]["bootstrap"]["sysprep"]["sysprep"]["identification"],
        serde_json::json!({"joinWorkgroup": "WG", "joinDomain": "corp.example.com"})
    );
    assert_eq!(
        codes(&d2.findings),
        vec![
            ("GN331", "spec.network.interfaces[0].dhcp6"),
            ("GN330", "spec.network.interfaces[0].type"),
            ("GN330", "spec.network.vlans"),
            ("GN330", "spec.guestID"),
        ]
    );
    // ... and drops it without one.
    let no_sysprep = V6.replace("    sysprep:\n      sysprep:\n        identification: {joinWorkgroup: WG}\n        userData: {fullName: A, orgName: B}\n", "    cloudInit: {}\n");
    let d2 = down(&hub(&no_sysprep), V1alpha2).unwrap();
    assert!(
        codes(&d2.findings).contains(&("GN330", "spec.network.domainName")),
        "{:?}",
        d2.findings
    );
    // Severities: a dropped value warns, a reinterpreted one informs.
    assert!(d2.findings.iter().all(|d| d.severity
        == if d.code == Code::ConversionRewritten {
            Severity::Info
        } else {
            Severity::Warning
        }));
}

#[test]
fn down_to_v1alpha1_keeps_network_names_and_the_transport() {
    let (c, _) = up_yaml(V1);
    let d1 = down(&c.vm, V1alpha1).unwrap();
    // Everything v1alpha1 had comes back (ports, providerRef, ethernetCardType and the
    // vSphereVolume's other fields were dropped going up, so they are not expected).
    let expect = serde_json::json!({
        "apiVersion": "vmoperator.vmware.com/v1alpha1",
        "kind": "VirtualMachine",
        "metadata": {"name": "legacy", "namespace": "dev"},
        "spec": {
            "imageName": "centos-8",
            "className": "small",
            "powerState": "poweredOn",
            "powerOffMode": "trySoft",
            "vmMetadata": {"transport": "CloudInit", "configMapName": "legacy-cloud-init"},
            "networkInterfaces": [
                {"networkName": "dev-net", "networkType": "nsx-t"},
                {"networkName": "backup", "networkType": "vsphere-distributed"},
                {}
            ],
            "resourcePolicyName": "my-policy",
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": "data-pvc"}},
                {"name": "boot"},
                {"name": "vmoperator-vm-boot-disk", "vSphereVolume": {"capacity": {"ephemeral-storage": "40Gi"}, "deviceKey": 2000}}
            ],
            "advancedOptions": {"defaultVolumeProvisioningOptions": {"thinProvisioned": true}}
        }
    });
    assert_eq!(d1.value, expect);
    // The extra boot-disk volume is v1alpha1's way to carry the capacity; going up again
    // it turns into bootDiskCapacity and an empty volume, which the diff reports.
    assert_eq!(codes(&d1.findings), vec![("GN330", "spec.volumes")]);
    // A v1alpha6 network with addressing cannot be written as v1alpha1; nor can an
    // interface name other than eth<i>.
    let d1 = down(
        &hub(&V6.replace("- name: eth0", "- name: ens192")),
        V1alpha1,
    )
    .unwrap();
    let lost = codes(&d1.findings);
    for p in [
        "spec.network.domainName",
        "spec.network.interfaces[0].name",
        "spec.network.interfaces[0].addresses",
        "spec.network.interfaces[0].gateway4",
        "spec.bootstrap.sysprep.sysprep",
    ] {
        assert!(lost.contains(&("GN330", p)), "{p} not in {lost:?}");
    }
}

#[test]
fn up_value_is_strict() {
    let e = up_value(
        &serde_json::json!({"apiVersion": "vmoperator.vmware.com/v1alpha2", "kind": "VirtualMachine", "spec": {"guestID": "x"}}),
        V1alpha2,
    )
    .unwrap_err();
    assert!(e.contains("guestID"), "{e}");
}

#[test]
fn rewrite_keeps_the_document_order_and_passes_catalogs_through() {
    let text = format!(
        "apiVersion: guestnet.dev/v1alpha1\nkind: Network\nmetadata: {{name: vm-network}}\nspec: {{dhcp4: true}}\n---\n{V2}"
    );
    let r = rewrite(&text, V1alpha6, &Limits::default());
    assert!(!r.has_errors(), "{:?}", r.diagnostics);
    assert_eq!(r.documents.len(), 2);
    assert_eq!(r.documents[0]["kind"], "Network");
    let vm = &r.documents[1];
    assert_eq!(vm["apiVersion"], "vmoperator.vmware.com/v1alpha6");
    // The source's key order: className, imageName, network, bootstrap.
    let keys: Vec<&str> = vm["spec"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, vec!["className", "imageName", "network", "bootstrap"]);
    // joinDomain's value moved to the network (appended after the keys the source has).
    let net: Vec<&str> = vm["spec"]["network"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(net, vec!["hostName", "interfaces", "domainName"]);
    assert!(
        vm["spec"]["network"]["interfaces"][0]
            .get("dhcp4")
            .is_none()
    );
    let yaml = r.to_yaml();
    assert!(
        yaml.contains("---\napiVersion: vmoperator.vmware.com/v1alpha6\n"),
        "{yaml}"
    );
    // The conversion notes are located in the source.
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.path == "spec.bootstrap.sysprep.sysprep.identification.joinDomain")
        .unwrap();
    assert_eq!(d.line, Some(31));
}

#[test]
fn rewrite_writes_nothing_when_a_document_has_an_input_error() {
    let text = format!(
        "{V2}---\n{}",
        V2.replace("hostName: web-01", "hostNme: web-01")
    );
    let r = rewrite(&text, V1alpha6, &Limits::default());
    assert!(r.has_errors());
    assert!(r.documents.is_empty());
    assert_eq!(
        r.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| (d.code.as_str(), d.path.as_str(), d.line))
            .collect::<Vec<_>>(),
        vec![("GN003", "spec.network.hostNme", Some(40))]
    );
    let r = rewrite("a: [", V1alpha6, &Limits::default());
    assert_eq!(r.diagnostics[0].code, Code::YamlSyntax);
}

#[test]
fn rewrite_converts_v1alpha5_dhcp_false_like_vm_operator() {
    let v5 = "apiVersion: vmoperator.vmware.com/v1alpha5\nkind: VirtualMachine\nmetadata: {name: a}\nspec:\n  network:\n    interfaces:\n    - {name: eth0, dhcp4: false, dhcp6: true}\n";
    let r = rewrite(v5, V1alpha6, &Limits::default());
    let f = &r.documents[0]["spec"]["network"]["interfaces"][0];
    assert_eq!(f, &serde_json::json!({"name": "eth0", "dhcp6": true}));
    assert_eq!(
        codes(&r.diagnostics),
        vec![("GN331", "spec.network.interfaces[0].dhcp4")]
    );
    assert_eq!(r.diagnostics[0].line, Some(7));
}

/// A value of the right shape for a field of the version table (so that a field a version
/// has reaches the model instead of being replaced as a wrong type).
fn sample(leaf: &str) -> serde_json::Value {
    use serde_json::json;
    match leaf {
        "disabled"
        | "cpuAffinityExclusiveNoStatsEnabled"
        | "hugePages1GEnabled"
        | "preferHtEnabled"
        | "timeTrackerLowLatencyEnabled"
        | "vmxSwapEnabled"
        | "waitOnNetwork4"
        | "waitOnNetwork6"
        | "customizeAtNextPowerOn"
        | "expirePasswordAfterNextLogin"
        | "removable" => json!(true),
        "vnumaNodeID" | "controllerBusNumber" | "unitNumber" => json!(1),
        "vlans" => json!([{"name": "v", "id": 1, "link": "eth0"}]),
        "ipamModes" => json!(["IPv4"]),
        "advancedProperties" | "extraConfig" => json!([{"key": "k"}]),
        "networkInterfaces" => json!([{"networkName": "n"}]),
        "cdrom" | "policies" | "ports" | "guestInfo" | "pnumaNodeAffinity" => json!([{}]),
        "password" => json!({"name": "s"}),
        "scriptText" => json!({"value": "echo"}),
        "vmxnet3" | "vmMetadata" | "advancedOptions" | "vSphereVolume" | "hardware" | "class"
        | "cpuAdvanced" | "memoryAdvanced" | "resources" | "bootOptions" | "affinity"
        | "crypto" | "reserved" | "advanced" | "network" | "bootstrap" | "image" => json!({}),
        _ => json!("x"),
    }
}

/// `spec.a[].b` with a sample value at the end, as a document of version `v`.
fn document_with(path: &str, v: ApiVersion) -> String {
    use serde_json::{Value, json};
    let segs: Vec<&str> = path.split('.').skip(1).collect();
    let mut value = sample(segs.last().copied().unwrap_or(""));
    for seg in segs.iter().rev() {
        let (key, each) = match seg.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (*seg, false),
        };
        // Only the leaf's own key decides; containers above it are built around it.
        if std::ptr::eq(seg, segs.last().unwrap_or(&"")) && !each {
            value = json!({ key: value });
        } else if each {
            value = json!({ key: [value] });
        } else {
            value = json!({ key: value });
        }
    }
    let doc = json!({
        "apiVersion": v.api_version(),
        "kind": "VirtualMachine",
        "metadata": {"name": "vm"},
        "spec": value,
    });
    serde_json::to_string(&doc).unwrap_or_else(|_| Value::Null.to_string())
}

/// Every version's input types accept exactly the fields the version table gives that
/// version (old versions through their own types, v1alpha5 through the version rule).
#[test]
fn every_version_accepts_exactly_its_fields() {
    let mut checked = 0;
    for f in history::FIELDS {
        for v in ApiVersion::ALL {
            // An absent ancestor is reported instead (e.g. network in v1alpha1).
            let hidden = history::FIELDS.iter().any(|g| {
                g.path != f.path
                    && (f.path.starts_with(&format!("{}.", g.path))
                        || f.path.starts_with(&format!("{}[]", g.path)))
                    && !g.exists_in(v)
            });
            if hidden {
                continue;
            }
            let text = document_with(f.path, v);
            let c = compile_str(&text, &[], &CompileOptions::default());
            let unknown: Vec<String> = c
                .all_diagnostics()
                .filter(|d| d.code == Code::UnknownField)
                .map(|d| history::normalize(&d.path))
                .collect();
            let reported = unknown.iter().any(|p| p == f.path);
            assert_eq!(
                reported,
                !f.exists_in(v),
                "{} in {v}: unknown-field findings {unknown:?}\n{text}",
                f.path
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

/// A v1alpha2 VM as `kubectl get -o yaml` returns it from a cluster storing v1alpha6: the
/// hub object is in the conversion annotation.
const V2_EXPORTED: &str = r#"apiVersion: vmoperator.vmware.com/v1alpha2
kind: VirtualMachine
metadata:
  name: exported
  namespace: ns
  generation: 2
  annotations:
    vmoperator.vmware.com/conversion: '{"apiVersion":"vmoperator.vmware.com/v1alpha6","kind":"VirtualMachine","spec":{"guestID":"ubuntu64Guest","network":{"domainName":"saved.example.com","interfaces":[{"name":"eth0","type":"VMXNet3","dhcp6":false},{"name":"gone","type":"E1000"}],"vlans":[{"name":"vlan10","id":10,"link":"eth0"}]},"bootstrap":{"cloudInit":{"instanceID":"iid-saved","waitOnNetwork4":true}},"futureField":1},"status":{"powerState":"PoweredOn"}}'
spec:
  imageName: ubuntu
  network:
    interfaces:
    - name: eth0
      dhcp4: true
  bootstrap:
    cloudInit: {}
"#;

#[test]
fn exported_manifests_are_restored_from_the_conversion_annotation() {
    let (c, diags) = up_yaml(V2_EXPORTED);
    assert!(diags.is_empty(), "{diags:?}");
    let vm = &c.vm;
    assert!(
        vm.metadata.annotations.is_empty(),
        "UnmarshalData deletes it"
    );
    let net = vm.network().unwrap();
    assert_eq!(net.domain_name.as_deref(), Some("saved.example.com"));
    assert_eq!(net.vlans.len(), 1);
    assert_eq!(net.interfaces.len(), 1, "restore never adds interfaces");
    let f = &net.interfaces[0];
    assert_eq!(f.nic_type.as_deref(), Some("VMXNet3"));
    assert_eq!((f.dhcp4, f.dhcp6), (Some(true), Some(false)));
    assert_eq!(vm.spec.guest_id.as_deref(), Some("ubuntu64Guest"));
    let ci = vm.cloud_init().unwrap();
    assert_eq!(ci.instance_id.as_deref(), Some("iid-saved"));
    assert_eq!(ci.wait_on_network4, Some(true));
    let note: Vec<_> = c
        .findings
        .iter()
        .filter(|d| d.code == Code::ConversionRestored)
        .collect();
    assert_eq!(note.len(), 1);
    assert_eq!(note[0].line, Some(8));
    assert!(
        note[0].message.contains("spec.network.vlans") && note[0].message.contains("spec.guestID"),
        "{}",
        note[0].message
    );
    // A finding on a restored value is placed at the annotation.
    assert!(matches!(
        c.paths.origin("spec.network.vlans[0].link"),
        Origin::Span(s, _) if s.line == 8
    ));
    // Through the pipeline: the VLAN's rules run on the restored value.
    let bad = V2_EXPORTED.replace(r#""link":"eth0""#, r#""link":"eth9""#);
    let got = located(&bad, &CompileOptions::default());
    assert!(
        got.iter().any(|(code, path, line, _)| code == "GN140"
            && path.starts_with("spec.network.vlans[0]")
            && *line == 8),
        "{got:?}"
    );
}

#[test]
fn an_unreadable_conversion_annotation_is_an_error() {
    let bad = V2_EXPORTED.replace(r#""id":10"#, r#""id":"ten""#);
    let (c, _) = up_yaml(&bad);
    let errs: Vec<_> = c
        .findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errs.len(), 1, "{:?}", c.findings);
    assert_eq!(errs[0].code, Code::WrongType);
    assert_eq!(errs[0].line, Some(8));
    assert!(
        errs[0].message.contains("spec.network.vlans[0].id"),
        "{}",
        errs[0].message
    );
    assert!(c.vm.network().unwrap().vlans.is_empty());
}

#[test]
fn v1alpha1_restores_the_whole_saved_network_and_bootstrap_details() {
    let text = r#"apiVersion: vmoperator.vmware.com/v1alpha1
kind: VirtualMachine
metadata:
  name: legacy
  annotations:
    vmoperator.vmware.com/conversion: '{"spec":{"network":{"hostName":"saved-host","nameservers":["10.0.0.53"],"interfaces":[{"name":"ens192","network":{"name":"net"},"addresses":["10.0.0.5/24"],"gateway4":"10.0.0.1"}]},"bootstrap":{"cloudInit":{"rawCloudConfig":{"name":"old","key":"custom-key"},"sshAuthorizedKeys":["ssh-ed25519 AAAA"]}}}}'
spec:
  networkInterfaces:
  - networkName: net
    networkType: nsx-t
  vmMetadata:
    secretName: renamed
    transport: CloudInit
"#;
    let (c, diags) = up_yaml(text);
    assert!(diags.is_empty(), "{diags:?}");
    let net = c.vm.network().unwrap();
    assert_eq!(net.host_name.as_deref(), Some("saved-host"));
    assert_eq!(net.interfaces[0].name, "ens192");
    assert_eq!(net.interfaces[0].addresses, vec!["10.0.0.5/24"]);
    let raw = c.vm.cloud_init().unwrap().raw_cloud_config.clone().unwrap();
    // The document's (renamed) Secret with the saved key.
    assert_eq!(
        (raw.name.as_str(), raw.key.as_deref()),
        ("renamed", Some("custom-key"))
    );
    assert_eq!(
        c.vm.cloud_init().unwrap().ssh_authorized_keys,
        vec!["ssh-ed25519 AAAA"]
    );
}

#[test]
fn v1alpha5_restores_v1alpha6_fields_too() {
    let text = r#"apiVersion: vmoperator.vmware.com/v1alpha5
kind: VirtualMachine
metadata:
  name: five
  annotations:
    vmoperator.vmware.com/conversion: '{"spec":{"bootstrap":{"disabled":true},"network":{"interfaces":[{"name":"eth0","vnumaNodeID":1}]}}}'
spec:
  network:
    interfaces:
    - {name: eth0, dhcp4: true}
"#;
    let c = compile_str(text, &[], &CompileOptions::default());
    let vm = c.units[0].vm.as_ref().unwrap();
    assert_eq!(vm.bootstrap().unwrap().disabled, Some(true));
    assert_eq!(vm.interfaces()[0].vnuma_node_id, Some(1));
    // Restored v1alpha6 fields are not "v1alpha6 fields in a v1alpha5 document".
    assert!(
        !c.all_diagnostics().any(|d| d.code == Code::UnknownField),
        "{:?}",
        c.all_diagnostics().collect::<Vec<_>>()
    );
}
