//! vim25 SOAP: the request bodies guestnet sends and a reader for what comes back.
//!
//! Requests are written with core's [`XmlWriter`], whose only way to emit a value is its
//! strict escape function, so no value (a VM name, a vApp property, a Secret) can change a
//! request's structure. Responses are read with core's namespace-aware tree reader (DTDs
//! refused, depth and size bounded); prefixes are never matched literally, because govmomi
//! writes `XMLSchema-instance:type` where pyVmomi writes `xsi:type`.

use guestnet_core::vim25::xml::{self, Element, NS_SOAPENV, NS_VIM25, NS_XSD, NS_XSI, XmlWriter};
use std::fmt;

/// A managed object reference: `<obj type="VirtualMachine">vm-42</obj>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MoRef {
    pub kind: String,
    pub value: String,
}

impl MoRef {
    pub fn new(kind: &str, value: &str) -> MoRef {
        MoRef {
            kind: kind.into(),
            value: value.into(),
        }
    }
}

impl fmt::Display for MoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// One SOAP call, ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub body: String,
    /// Safe to send twice (reads): only these are retried after a connection error.
    pub idempotent: bool,
}

/// A request whose body could not be written: a value holds a character XML 1.0 cannot
/// carry. The value itself is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value for `{element}` contains U+{code:04X}, which XML 1.0 cannot carry")]
pub struct BodyError {
    pub element: String,
    pub code: u32,
}

impl From<xml::IllegalValue> for BodyError {
    fn from(e: xml::IllegalValue) -> Self {
        BodyError {
            element: e.element,
            code: e.ch as u32,
        }
    }
}

/// Writes `<soapenv:Envelope><soapenv:Body><method xmlns="urn:vim25"><_this …/>…`.
pub fn call(
    method: &'static str,
    this: &MoRef,
    idempotent: bool,
    args: impl FnOnce(&mut XmlWriter),
) -> Result<Request, BodyError> {
    let mut w = XmlWriter::new();
    w.open(
        "soapenv:Envelope",
        &[
            ("xmlns:soapenv", NS_SOAPENV),
            ("xmlns:xsd", NS_XSD),
            ("xmlns:xsi", NS_XSI),
        ],
    );
    w.open("soapenv:Body", &[]);
    w.open(method, &[("xmlns", NS_VIM25)]);
    w.leaf_with("_this", &[("type", &this.kind)], &this.value);
    args(&mut w);
    Ok(Request {
        method,
        body: w.finish()?,
        idempotent,
    })
}

pub fn moref_leaf(w: &mut XmlWriter, name: &'static str, r: &MoRef) {
    w.leaf_with(name, &[("type", &r.kind)], &r.value);
}

/// The well-known root of every vim25 session.
pub fn service_instance() -> MoRef {
    MoRef::new("ServiceInstance", "ServiceInstance")
}

pub fn retrieve_service_content() -> Result<Request, BodyError> {
    call("RetrieveServiceContent", &service_instance(), true, |_| {})
}

pub fn login(session_manager: &MoRef, user: &str, password: &str) -> Result<Request, BodyError> {
    call("Login", session_manager, false, |w| {
        w.leaf("userName", user);
        w.leaf("password", password);
    })
}

pub fn logout(session_manager: &MoRef) -> Result<Request, BodyError> {
    call("Logout", session_manager, false, |_| {})
}

pub fn find_by_inventory_path(search_index: &MoRef, path: &str) -> Result<Request, BodyError> {
    call("FindByInventoryPath", search_index, true, |w| {
        w.leaf("inventoryPath", path)
    })
}

pub fn find_by_uuid(
    search_index: &MoRef,
    datacenter: Option<&MoRef>,
    uuid: &str,
    instance_uuid: bool,
) -> Result<Request, BodyError> {
    call("FindByUuid", search_index, true, |w| {
        if let Some(dc) = datacenter {
            moref_leaf(w, "datacenter", dc);
        }
        w.leaf("uuid", uuid);
        w.leaf("vmSearch", "true");
        w.leaf("instanceUuid", if instance_uuid { "true" } else { "false" });
    })
}

pub fn create_container_view(
    view_manager: &MoRef,
    container: &MoRef,
    kind: &str,
) -> Result<Request, BodyError> {
    // Not a read (it creates a view), but harmless to repeat: the view dies with the session.
    call("CreateContainerView", view_manager, true, |w| {
        moref_leaf(w, "container", container);
        w.leaf("type", kind);
        w.leaf("recursive", "true");
    })
}

pub fn destroy_view(view: &MoRef) -> Result<Request, BodyError> {
    call("DestroyView", view, false, |_| {})
}

/// One object and the properties to read from it.
#[derive(Debug, Clone)]
pub struct PropSpec<'a> {
    pub obj: &'a MoRef,
    pub paths: &'a [&'a str],
}

/// `RetrieveProperties` of some properties of some objects (of any types).
pub fn retrieve_properties(
    property_collector: &MoRef,
    specs: &[PropSpec<'_>],
) -> Result<Request, BodyError> {
    call("RetrieveProperties", property_collector, true, |w| {
        w.open("specSet", &[]);
        let mut kinds: Vec<&str> = specs.iter().map(|s| s.obj.kind.as_str()).collect();
        kinds.dedup();
        for kind in kinds {
            w.open("propSet", &[]);
            w.leaf("type", kind);
            let mut paths: Vec<&str> = specs
                .iter()
                .filter(|s| s.obj.kind == kind)
                .flat_map(|s| s.paths.iter().copied())
                .collect();
            paths.sort_unstable();
            paths.dedup();
            for p in paths {
                w.leaf("pathSet", p);
            }
            w.close();
        }
        for s in specs {
            w.open("objectSet", &[]);
            moref_leaf(w, "obj", s.obj);
            w.close();
        }
        w.close();
    })
}

/// `RetrievePropertiesEx` over a container view: `paths` of every `kind` object in it, in
/// pages of `page` objects.
pub fn retrieve_view(
    property_collector: &MoRef,
    view: &MoRef,
    kind: &str,
    paths: &[&str],
    page: u32,
) -> Result<Request, BodyError> {
    call("RetrievePropertiesEx", property_collector, true, |w| {
        w.open("specSet", &[]);
        w.open("propSet", &[]);
        w.leaf("type", kind);
        for p in paths {
            w.leaf("pathSet", p);
        }
        w.close();
        w.open("objectSet", &[]);
        moref_leaf(w, "obj", view);
        w.leaf("skip", "true");
        w.open("selectSet", &[("xsi:type", "TraversalSpec")]);
        w.leaf("type", "ContainerView");
        w.leaf("path", "view");
        w.leaf("skip", "false");
        w.close();
        w.close();
        w.close();
        w.open("options", &[]);
        w.leaf("maxObjects", &page.to_string());
        w.close();
    })
}

pub fn continue_retrieve(property_collector: &MoRef, token: &str) -> Result<Request, BodyError> {
    call(
        "ContinueRetrievePropertiesEx",
        property_collector,
        true,
        |w| w.leaf("token", token),
    )
}

pub fn power_on(vm: &MoRef) -> Result<Request, BodyError> {
    call("PowerOnVM_Task", vm, false, |_| {})
}

pub fn answer_vm(vm: &MoRef, question_id: &str, choice: &str) -> Result<Request, BodyError> {
    call("AnswerVM", vm, false, |w| {
        w.leaf("questionId", question_id);
        w.leaf("answerChoice", choice);
    })
}

/// A vApp property edit keyed by the VM's own property key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VAppEdit {
    pub key: i32,
    pub id: String,
    pub value: String,
}

/// `ReconfigVM_Task` with extraConfig OptionValues and/or vApp property edits, in
/// `VirtualMachineConfigSpec` element order (extraConfig before vAppConfig).
pub fn reconfig_vm(
    vm: &MoRef,
    extra_config: &[(String, String)],
    vapp: &[VAppEdit],
    vapp_transport: Option<&str>,
) -> Result<Request, BodyError> {
    call("ReconfigVM_Task", vm, false, |w| {
        w.open("spec", &[]);
        for (k, v) in extra_config {
            w.open("extraConfig", &[("xsi:type", "OptionValue")]);
            w.leaf("key", k);
            w.leaf_with("value", &[("xsi:type", "xsd:string")], v);
            w.close();
        }
        if !vapp.is_empty() {
            w.open("vAppConfig", &[("xsi:type", "VmConfigSpec")]);
            for e in vapp {
                w.open("property", &[]);
                w.leaf("operation", "edit");
                w.open("info", &[]);
                w.leaf("key", &e.key.to_string());
                w.leaf("id", &e.id);
                w.leaf("value", &e.value);
                w.close();
                w.close();
            }
            if let Some(t) = vapp_transport {
                w.leaf("ovfEnvironmentTransport", t);
            }
            w.close();
        }
        w.close();
    })
}

/// `QueryEvents` for one VM (the VM itself only), restricted to some event types.
pub fn query_events(
    event_manager: &MoRef,
    vm: &MoRef,
    type_ids: &[&str],
) -> Result<Request, BodyError> {
    call("QueryEvents", event_manager, true, |w| {
        w.open("filter", &[]);
        w.open("entity", &[]);
        moref_leaf(w, "entity", vm);
        w.leaf("recursion", "self");
        w.close();
        for t in type_ids {
            w.leaf("eventTypeId", t);
        }
        w.close();
    })
}

// ---------------------------------------------------------------------------------------
// Responses

/// A vim25 fault, from a SOAP fault (HTTP 500) or a task's `info.error`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fault {
    /// The vim25 type, e.g. `NicSettingMismatch` (from `xsi:type`, else the element name
    /// without its `Fault` suffix).
    pub kind: String,
    /// `faultstring` or `localizedMessage`, as the server wrote it.
    pub message: String,
    /// The fault's own fields, as `name = text` of its leaf children (nested ones by dotted
    /// path), e.g. `numberOfNicsInSpec = 2`.
    pub fields: Vec<(String, String)>,
}

impl Fault {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A reply that is not a well-formed SOAP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server's reply is not a SOAP response: {0}")]
pub struct ReplyError(pub String);

/// The body of a SOAP reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The `<MethodResponse>` element.
    Ok(Element),
    Fault(Fault),
}

fn is(el: &Element, ns: &str, local: &str) -> bool {
    el.name.ns == ns && el.name.local == local
}

fn collect_fields(el: &Element, prefix: &str, out: &mut Vec<(String, String)>) {
    for c in &el.children {
        let name = if prefix.is_empty() {
            c.name.local.clone()
        } else {
            format!("{prefix}.{}", c.name.local)
        };
        if c.children.is_empty() {
            out.push((name, c.text.trim().to_string()));
        } else if out.len() < 64 {
            collect_fields(c, &name, out);
        }
    }
}

/// The fault inside `el` (`<fault xsi:type=…>` or `<XFault xsi:type=…>`).
pub fn fault_from(el: &Element, message: String) -> Fault {
    let kind = match &el.xsi_type {
        Some(t) => t.local.clone(),
        None => el
            .name
            .local
            .strip_suffix("Fault")
            .unwrap_or(&el.name.local)
            .to_string(),
    };
    let mut fields = Vec::new();
    collect_fields(el, "", &mut fields);
    Fault {
        kind,
        message,
        fields,
    }
}

/// A `LocalizedMethodFault` (`<error>` of a TaskInfo, `<fault>` of a missing property).
pub fn localized_fault(el: &Element) -> Option<Fault> {
    let f = el.child("fault")?;
    let msg = el
        .child("localizedMessage")
        .map(|m| m.text.trim().to_string())
        .unwrap_or_default();
    Some(fault_from(f, msg))
}

/// Reads a SOAP reply: the method response, or the fault.
pub fn parse_reply(text: &str) -> Result<Reply, ReplyError> {
    let root = xml::parse(text).map_err(|e| {
        let (line, col) = xml::line_col(text, e.offset);
        ReplyError(format!("{} at {line}:{col}", e.message))
    })?;
    if !is(&root, NS_SOAPENV, "Envelope") {
        return Err(ReplyError(format!(
            "the root element is `{}`, not a SOAP Envelope",
            root.name.local
        )));
    }
    let body = root
        .children
        .iter()
        .find(|c| is(c, NS_SOAPENV, "Body"))
        .ok_or_else(|| ReplyError("the envelope has no Body".into()))?;
    let first = body
        .children
        .first()
        .ok_or_else(|| ReplyError("the Body is empty".into()))?;
    if is(first, NS_SOAPENV, "Fault") {
        let message = first
            .child("faultstring")
            .map(|s| s.text.trim().to_string())
            .unwrap_or_default();
        let detail = first.child("detail").and_then(|d| d.children.first());
        return Ok(Reply::Fault(match detail {
            Some(d) => fault_from(d, message),
            None => Fault {
                kind: first
                    .child("faultcode")
                    .map(|c| c.text.trim().to_string())
                    .unwrap_or_else(|| "ServerFault".into()),
                message,
                fields: Vec::new(),
            },
        }));
    }
    Ok(Reply::Ok(first.clone()))
}

/// A managed object reference element's value (`type` attribute + text).
pub fn moref(el: &Element) -> Option<MoRef> {
    let kind = el
        .attrs
        .iter()
        .find(|a| a.name.local == "type" && a.name.ns.is_empty())?
        .value
        .clone();
    let value = el.text.trim();
    (!value.is_empty()).then(|| MoRef {
        kind,
        value: value.to_string(),
    })
}

/// Every `<returnval>` of a response.
pub fn returnvals(resp: &Element) -> impl Iterator<Item = &Element> {
    resp.children.iter().filter(|c| c.name.local == "returnval")
}

/// One object of a PropertyCollector result.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectContent {
    pub obj: MoRef,
    /// Property path -> its `<val>` element.
    pub props: Vec<(String, Element)>,
    /// Properties the server could not read, with the reason.
    pub missing: Vec<(String, Fault)>,
}

impl ObjectContent {
    pub fn get(&self, path: &str) -> Option<&Element> {
        self.props.iter().find(|(p, _)| p == path).map(|(_, v)| v)
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        self.get(path).map(|v| v.text.as_str())
    }
}

fn object_content(el: &Element) -> Option<ObjectContent> {
    let obj = moref(el.child("obj")?)?;
    let mut props = Vec::new();
    let mut missing = Vec::new();
    for c in &el.children {
        match c.name.local.as_str() {
            "propSet" => {
                if let (Some(n), Some(v)) = (c.child("name"), c.child("val")) {
                    props.push((n.text.trim().to_string(), v.clone()));
                }
            }
            "missingSet" => {
                let path = c
                    .child("path")
                    .map(|p| p.text.trim().to_string())
                    .unwrap_or_default();
                if let Some(f) = c.child("fault").and_then(localized_fault) {
                    missing.push((path, f));
                }
            }
            _ => {}
        }
    }
    Some(ObjectContent {
        obj,
        props,
        missing,
    })
}

/// The objects of a `RetrieveProperties` response, or of a `RetrievePropertiesEx` /
/// `ContinueRetrievePropertiesEx` result with its continuation token.
pub fn object_contents(resp: &Element) -> (Vec<ObjectContent>, Option<String>) {
    let mut out = Vec::new();
    let mut token = None;
    for rv in returnvals(resp) {
        if rv.child("obj").is_some() {
            out.extend(object_content(rv));
        } else {
            // RetrieveResult { token?, objects[] }
            for c in &rv.children {
                match c.name.local.as_str() {
                    "objects" => out.extend(object_content(c)),
                    "token" => token = Some(c.text.trim().to_string()),
                    _ => {}
                }
            }
        }
    }
    (out, token)
}

/// The values of an `ArrayOfX` (the children) or a single value (itself).
pub fn array_items(val: &Element) -> Vec<&Element> {
    match &val.xsi_type {
        Some(t) if t.local.starts_with("ArrayOf") => val.children.iter().collect(),
        _ => vec![val],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_escaped_and_parse_back() {
        let vm = MoRef::new("VirtualMachine", "vm-<1>");
        let r = reconfig_vm(
            &vm,
            &[("guestinfo.x".into(), "a</value><evil/>&".into())],
            &[VAppEdit {
                key: 7,
                id: "host\"name".into(),
                value: "]]>".into(),
            }],
            Some("com.vmware.guestInfo"),
        )
        .unwrap();
        assert!(!r.idempotent);
        let root = xml::parse(&r.body).unwrap();
        let body = root.child("Body").unwrap();
        let call = body.child("ReconfigVM_Task").unwrap();
        assert_eq!(call.name.ns, NS_VIM25);
        assert_eq!(moref(call.child("_this").unwrap()), Some(vm));
        let spec = call.child("spec").unwrap();
        let ec = spec.child("extraConfig").unwrap();
        assert_eq!(ec.xsi_type.as_ref().unwrap().local, "OptionValue");
        assert_eq!(ec.child("value").unwrap().text, "a</value><evil/>&");
        assert!(ec.child("evil").is_none());
        let info = spec
            .child("vAppConfig")
            .unwrap()
            .child("property")
            .unwrap()
            .child("info")
            .unwrap();
        assert_eq!(info.child("key").unwrap().text, "7");
        assert_eq!(info.child("id").unwrap().text, "host\"name");
        assert_eq!(info.child("value").unwrap().text, "]]>");
        // A character XML cannot carry is an error naming the element, not the value.
        let e = login(
            &MoRef::new("SessionManager", "SessionManager"),
            "u",
            "pw\u{1}secret",
        )
        .unwrap_err();
        assert_eq!(e.element, "password");
        assert!(!e.to_string().contains("secret"));
    }

    #[test]
    fn property_request_groups_paths_by_type() {
        let vm = MoRef::new("VirtualMachine", "vm-1");
        let task = MoRef::new("Task", "task-2");
        let r = retrieve_properties(
            &MoRef::new("PropertyCollector", "propertyCollector"),
            &[
                PropSpec {
                    obj: &task,
                    paths: &["info"],
                },
                PropSpec {
                    obj: &vm,
                    paths: &["runtime.question", "name"],
                },
            ],
        )
        .unwrap();
        let root = xml::parse(&r.body).unwrap();
        let spec = root
            .child("Body")
            .unwrap()
            .child("RetrieveProperties")
            .unwrap()
            .child("specSet")
            .unwrap();
        let sets: Vec<(String, Vec<String>)> = spec
            .children
            .iter()
            .filter(|c| c.name.local == "propSet")
            .map(|p| {
                (
                    p.child("type").unwrap().text.clone(),
                    p.children
                        .iter()
                        .filter(|c| c.name.local == "pathSet")
                        .map(|c| c.text.clone())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            sets,
            vec![
                ("Task".to_string(), vec!["info".to_string()]),
                (
                    "VirtualMachine".to_string(),
                    vec!["name".to_string(), "runtime.question".to_string()]
                ),
            ]
        );
    }

    const FAULT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an incorrect user name or password.</faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;

    #[test]
    fn soap_faults() {
        let Reply::Fault(f) = parse_reply(FAULT).unwrap() else {
            panic!("not a fault")
        };
        assert_eq!(f.kind, "InvalidLogin");
        assert!(f.message.contains("incorrect user name"));
        // No xsi:type: the element name without `Fault`; no detail: the faultcode.
        let t = FAULT.replace(" xsi:type=\"InvalidLogin\"", "");
        let Reply::Fault(f) = parse_reply(&t).unwrap() else {
            panic!()
        };
        assert_eq!(f.kind, "InvalidLogin");
        let t = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault><faultcode>e:Client</faultcode><faultstring>bad</faultstring></e:Fault></e:Body></e:Envelope>"#;
        let Reply::Fault(f) = parse_reply(t).unwrap() else {
            panic!()
        };
        assert_eq!((f.kind.as_str(), f.message.as_str()), ("e:Client", "bad"));
    }

    /// XML 1.0 characters, biased towards markup and whitespace.
    fn xml_text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex(
            "([<>&\"' \t\r\n]|]]>|\\$\\{secret:a/b\\}|[a-z0-9]|\\PC){0,40}",
        )
        .unwrap_or_else(|_| {
            proptest::string::string_regex("[a-z]{0,8}").unwrap_or_else(|_| unreachable!())
        })
    }

    proptest::proptest! {
        /// Whatever a value holds, it comes back as the same text and adds no element.
        #[test]
        fn extra_config_values_round_trip(pairs in proptest::collection::vec((xml_text(), xml_text()), 0..4)) {
            let pairs: Vec<(String, String)> = pairs
                .into_iter()
                .filter(|(k, v)| xml::first_illegal_char(k).is_none() && xml::first_illegal_char(v).is_none())
                .collect();
            let r = reconfig_vm(&MoRef::new("VirtualMachine", "vm-1"), &pairs, &[], None).unwrap();
            let root = xml::parse(&r.body).unwrap();
            let spec = root.child("Body").unwrap().child("ReconfigVM_Task").unwrap().child("spec").unwrap();
            let back: Vec<(String, String)> = spec
                .children
                .iter()
                .map(|e| {
                    assert_eq!(e.children.len(), 2);
                    (e.child("key").unwrap().text.clone(), e.child("value").unwrap().text.clone())
                })
                .collect();
            proptest::prop_assert_eq!(back, pairs);
        }

        /// Any text, and any cut of a real reply, reads as a reply or an error, never a panic.
        #[test]
        fn reader_never_panics(s in "\\PC{0,200}", cut in 0usize..2000) {
            let _ = parse_reply(&s);
            let t = FAULT.get(..cut.min(FAULT.len())).unwrap_or("");
            if let Ok(Reply::Ok(e)) = parse_reply(t) {
                let _ = object_contents(&e);
            }
        }
    }

    #[test]
    fn not_soap_is_an_error_with_a_position() {
        for (t, want) in [
            (
                "<html><body>502 Bad Gateway</body></html>",
                "not a SOAP Envelope",
            ),
            ("<x", "at 1:"),
            ("", "no root element"),
            (r#"<!DOCTYPE x [<!ENTITY a "b">]><x/>"#, "DTD"),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"/>"#,
                "no Body",
            ),
        ] {
            let e = parse_reply(t).unwrap_err().0;
            assert!(e.contains(want), "{t}: {e}");
        }
    }
}
