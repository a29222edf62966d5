//! What guestnet reads about a VM before it sends anything: identity, power and tools state,
//! guest OS, the network adapters in PCI order with their MACs, extraConfig, vApp
//! properties, a pending question and a pending customization.

use crate::soap::{MoRef, ObjectContent, array_items};
use guestnet_core::vim25::xml::Element;

/// The properties [`VmInfo::from_content`] reads.
pub const VM_PATHS: &[&str] = &[
    "name",
    "runtime.powerState",
    "runtime.question",
    "guest.toolsRunningStatus",
    "config.guestId",
    "config.uuid",
    "config.instanceUuid",
    "config.hardware.device",
    "config.extraConfig",
    "config.vAppConfig",
    "config.tools.pendingCustomization",
];

/// vim25 types that are `VirtualEthernetCard`s.
const ETHERNET_TYPES: &[&str] = &[
    "VirtualE1000",
    "VirtualE1000e",
    "VirtualPCNet32",
    "VirtualVmxnet",
    "VirtualVmxnet2",
    "VirtualVmxnet3",
    "VirtualVmxnet3Vrdma",
    "VirtualSriovEthernetCard",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    pub key: i32,
    pub device_type: String,
    pub label: String,
    /// Lower-case `aa:bb:cc:dd:ee:ff`, or empty when vSphere has not assigned one yet.
    pub mac: String,
    pub pci_slot: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VAppProperty {
    pub key: i32,
    pub id: String,
    pub class_id: String,
    pub instance_id: String,
    pub kind: String,
    pub user_configurable: bool,
}

impl VAppProperty {
    /// `[classId.]id[.instanceId]`, the key the OVF environment shows.
    pub fn full_key(&self) -> String {
        let mut k = String::new();
        if !self.class_id.is_empty() {
            k.push_str(&self.class_id);
            k.push('.');
        }
        k.push_str(&self.id);
        if !self.instance_id.is_empty() {
            k.push('.');
            k.push_str(&self.instance_id);
        }
        k
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub text: String,
    /// `(key, label)` of every choice.
    pub choices: Vec<(String, String)>,
    pub default: Option<usize>,
}

impl Question {
    pub fn default_choice(&self) -> Option<&(String, String)> {
        self.choices.get(self.default?)
    }

    /// `Cancel, [I Copied It], I Moved It` (the default in brackets).
    pub fn describe_choices(&self) -> String {
        self.choices
            .iter()
            .enumerate()
            .map(|(i, (_, l))| {
                if Some(i) == self.default {
                    format!("[{l}]")
                } else {
                    l.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VmInfo {
    pub moref: Option<MoRef>,
    pub name: String,
    /// `poweredOn`, `poweredOff` or `suspended`.
    pub power_state: String,
    /// `guestToolsRunning`, `guestToolsNotRunning`, `guestToolsExecutingScripts`.
    pub tools_running: String,
    pub guest_id: String,
    pub bios_uuid: String,
    pub instance_uuid: String,
    /// Network adapters in PCI order.
    pub nics: Vec<Nic>,
    /// Every extraConfig entry in server order (a key may repeat on old simulators).
    pub extra_config: Vec<(String, String)>,
    /// `None` when the VM has no vApp configuration at all.
    pub vapp: Option<Vec<VAppProperty>>,
    pub question: Option<Question>,
    pub pending_customization: Option<String>,
}

fn int(e: Option<&Element>) -> Option<i32> {
    e.and_then(|e| e.text.trim().parse().ok())
}

fn text(e: Option<&Element>) -> String {
    e.map(|e| e.text.trim().to_string()).unwrap_or_default()
}

fn is_ethernet(dev: &Element) -> bool {
    match &dev.xsi_type {
        Some(t) => ETHERNET_TYPES.contains(&t.local.as_str()),
        None => dev.child("addressType").is_some(),
    }
}

/// Network adapters of a `config.hardware.device` value, sorted by PCI slot (adapters
/// without a slot yet keep their device-list order after those with one).
pub fn nics(devices: &Element) -> Vec<Nic> {
    let mut out: Vec<Nic> = array_items(devices)
        .into_iter()
        .filter(|d| is_ethernet(d))
        .map(|d| Nic {
            key: int(d.child("key")).unwrap_or(0),
            device_type: d
                .xsi_type
                .as_ref()
                .map(|t| t.local.clone())
                .unwrap_or_default(),
            label: d
                .child("deviceInfo")
                .map(|i| text(i.child("label")))
                .unwrap_or_default(),
            mac: text(d.child("macAddress")).to_ascii_lowercase(),
            pci_slot: d
                .child("slotInfo")
                .and_then(|s| int(s.child("pciSlotNumber"))),
        })
        .collect();
    out.sort_by_key(|n| n.pci_slot.unwrap_or(i32::MAX));
    out
}

fn option_values(val: &Element) -> Vec<(String, String)> {
    array_items(val)
        .into_iter()
        .filter_map(|o| {
            let k = o.child("key")?.text.clone();
            let v = o.child("value").map(|v| v.text.clone()).unwrap_or_default();
            Some((k, v))
        })
        .collect()
}

fn vapp_properties(val: &Element) -> Vec<VAppProperty> {
    val.children
        .iter()
        .filter(|c| c.name.local == "property")
        .filter_map(|p| {
            Some(VAppProperty {
                key: int(p.child("key"))?,
                id: text(p.child("id")),
                class_id: text(p.child("classId")),
                instance_id: text(p.child("instanceId")),
                kind: text(p.child("type")),
                user_configurable: text(p.child("userConfigurable")) == "true",
            })
        })
        .collect()
}

fn question(val: &Element) -> Option<Question> {
    let id = text(val.child("id"));
    if id.is_empty() {
        return None;
    }
    let choice = val.child("choice");
    let choices: Vec<(String, String)> = choice
        .map(|c| {
            c.children
                .iter()
                .filter(|e| e.name.local == "choiceInfo")
                .map(|e| (text(e.child("key")), text(e.child("label"))))
                .collect()
        })
        .unwrap_or_default();
    // `defaultIndex` is optional and omitted when 0 (govmomi's `omitempty`).
    let default = match choice.and_then(|c| int(c.child("defaultIndex"))) {
        Some(i) => usize::try_from(i).ok(),
        None => (!choices.is_empty()).then_some(0),
    };
    let mut q_text = text(val.child("text"));
    if q_text.is_empty() {
        // Newer servers put the text in messages.
        q_text = val
            .children
            .iter()
            .filter(|c| c.name.local == "message")
            .map(|m| text(m.child("text")))
            .collect::<Vec<_>>()
            .join(" ");
    }
    Some(Question {
        id,
        text: q_text,
        choices,
        default,
    })
}

impl VmInfo {
    pub fn from_content(oc: &ObjectContent) -> VmInfo {
        let t = |p: &str| oc.text(p).map(|s| s.trim().to_string()).unwrap_or_default();
        VmInfo {
            moref: Some(oc.obj.clone()),
            name: t("name"),
            power_state: t("runtime.powerState"),
            tools_running: t("guest.toolsRunningStatus"),
            guest_id: t("config.guestId"),
            bios_uuid: t("config.uuid"),
            instance_uuid: t("config.instanceUuid"),
            nics: oc
                .get("config.hardware.device")
                .map(nics)
                .unwrap_or_default(),
            extra_config: oc
                .get("config.extraConfig")
                .map(option_values)
                .unwrap_or_default(),
            vapp: oc.get("config.vAppConfig").map(vapp_properties),
            question: oc.get("runtime.question").and_then(question),
            pending_customization: oc
                .text("config.tools.pendingCustomization")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        }
    }

    /// The effective value of an extraConfig key (the last entry wins).
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extra_config
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn powered_on(&self) -> bool {
        self.power_state == "poweredOn"
    }
}

/// `config.guestId` families VMware documents for `CustomizeGuest_Task` (RHEL 6.8+/7.4+,
/// CentOS 7.4+, SUSE 11 SP4/12 SP3+, Ubuntu 16.04+ LTS). A guest id carries no minor
/// version, so the minimums cannot be checked here.
pub fn customize_guest_supported(guest_id: &str) -> bool {
    const FAMILIES: &[&str] = &[
        "rhel6", "rhel7", "rhel8", "rhel9", "rhel10", "centos7", "centos8", "centos9", "sles11",
        "sles12", "sles15", "sles16", "ubuntu",
    ];
    FAMILIES.iter().any(|f| guest_id.starts_with(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::{Reply, object_contents, parse_reply};

    /// Our own recording of vcsim 0.24.2's reply (cut to what is read), so the test runs
    /// without ../shared; `tests/transcripts.rs` also reads the full recorded ones.
    const REPLY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><RetrievePropertiesResponse xmlns="urn:vim25"><returnval><obj type="VirtualMachine">vm-57</obj>
<propSet><name>runtime.powerState</name><val xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="VirtualMachinePowerState">poweredOff</val></propSet>
<propSet><name>config.extraConfig</name><val xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="ArrayOfOptionValue"><OptionValue XMLSchema-instance:type="OptionValue"><key>guestinfo.foo</key><value XMLSchema-instance:type="xsd:string">bar</value></OptionValue><OptionValue XMLSchema-instance:type="OptionValue"><key>guestinfo.foo</key><value XMLSchema-instance:type="xsd:string">baz</value></OptionValue></val></propSet>
<propSet><name>config.hardware.device</name><val xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="ArrayOfVirtualDevice"><VirtualDevice XMLSchema-instance:type="VirtualVmxnet3"><key>203</key><deviceInfo XMLSchema-instance:type="Description"><label>Network adapter 2</label><summary>VM Network</summary></deviceInfo><controllerKey>100</controllerKey><unitNumber>1</unitNumber><addressType>manual</addressType><macAddress>00:50:56:3F:00:02</macAddress></VirtualDevice><VirtualDevice XMLSchema-instance:type="VirtualDisk"><key>255511522</key></VirtualDevice><VirtualDevice XMLSchema-instance:type="VirtualE1000"><key>4000</key><deviceInfo XMLSchema-instance:type="Description"><label>ethernet-0</label></deviceInfo><slotInfo XMLSchema-instance:type="VirtualDevicePciBusSlotInfo"><pciSlotNumber>32</pciSlotNumber></slotInfo><addressType>generated</addressType><macAddress>00:0c:29:36:63:62</macAddress></VirtualDevice></val></propSet>
<propSet><name>config.vAppConfig</name><val XMLSchema-instance:type="VmConfigInfo" xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"><property><key>7</key><classId>vami</classId><id>ip0</id><instanceId>app</instanceId><type>ip</type><userConfigurable>true</userConfigurable></property><property><key>9</key><id>hostname</id><type>string</type><userConfigurable>false</userConfigurable></property><ovfEnvironmentTransport>com.vmware.guestInfo</ovfEnvironmentTransport></val></propSet>
<propSet><name>runtime.question</name><val XMLSchema-instance:type="VirtualMachineQuestionInfo" xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"><id>q-1</id><text>This virtual machine might have been moved or copied.</text><choice><choiceInfo><label>Cancel</label><summary>Cancel</summary><key>0</key></choiceInfo><choiceInfo><label>I Moved It</label><summary>I Moved It</summary><key>1</key></choiceInfo><choiceInfo><label>I Copied It</label><summary>I Copied It</summary><key>2</key></choiceInfo><defaultIndex>2</defaultIndex></choice></val></propSet>
</returnval></RetrievePropertiesResponse></soapenv:Body></soapenv:Envelope>"#;

    #[test]
    fn reads_a_vm() {
        let Reply::Ok(resp) = parse_reply(REPLY).unwrap() else {
            panic!()
        };
        let (objs, token) = object_contents(&resp);
        assert!(token.is_none());
        let vm = VmInfo::from_content(&objs[0]);
        assert_eq!(vm.moref, Some(MoRef::new("VirtualMachine", "vm-57")));
        assert_eq!(vm.power_state, "poweredOff");
        // PCI order: the slotted E1000 first, MACs lower-cased, the disk ignored.
        let macs: Vec<&str> = vm.nics.iter().map(|n| n.mac.as_str()).collect();
        assert_eq!(macs, vec!["00:0c:29:36:63:62", "00:50:56:3f:00:02"]);
        assert_eq!(vm.nics[0].pci_slot, Some(32));
        assert_eq!(vm.extra("guestinfo.foo"), Some("baz"));
        let props = vm.vapp.as_ref().unwrap();
        assert_eq!(props[0].full_key(), "vami.ip0.app");
        assert_eq!((props[1].key, props[1].user_configurable), (9, false));
        let q = vm.question.as_ref().unwrap();
        assert_eq!(q.default_choice().unwrap().1, "I Copied It");
        assert_eq!(q.describe_choices(), "Cancel, I Moved It, [I Copied It]");
        assert!(vm.pending_customization.is_none());
    }

    #[test]
    fn guest_ids() {
        for ok in [
            "rhel7_64Guest",
            "ubuntu64Guest",
            "sles12_64Guest",
            "centos8_64Guest",
        ] {
            assert!(customize_guest_supported(ok), "{ok}");
        }
        for no in [
            "otherGuest",
            "windows2019srv_64Guest",
            "debian11_64Guest",
            "centos6_64Guest",
        ] {
            assert!(!customize_guest_supported(no), "{no}");
        }
    }
}
