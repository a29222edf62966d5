#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! Session rules against a scripted HTTP server on 127.0.0.1: a read is retried after a
//! broken connection, a task never is; NotAuthenticated logs in again once (with a fresh
//! cookie) and repeats the call; the password goes only into the Login body.

use guestnet_vsphere::connect::{Trust, parse_url};
use guestnet_vsphere::net::session::{NetError, Session};
use guestnet_vsphere::secret::Secret;
use guestnet_vsphere::soap::{self, MoRef, PropSpec};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

enum Act {
    /// Read the request, close without answering.
    Drop,
    Reply(u16, String, Option<&'static str>),
    /// A body that is not SOAP at all (a proxy's error page).
    Raw(u16, &'static str),
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    cookie: Option<String>,
    body: String,
}

fn envelope(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>"#
    )
}

const CONTENT: &str = r#"<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval><rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector><viewManager type="ViewManager">ViewManager</viewManager><about><apiVersion>7.0.3.0</apiVersion><apiType>VirtualCenter</apiType></about><sessionManager type="SessionManager">SessionManager</sessionManager><searchIndex type="SearchIndex">SearchIndex</searchIndex></returnval></RetrieveServiceContentResponse>"#;
const LOGIN: &str = r#"<LoginResponse xmlns="urn:vim25"><returnval><key>k</key><userName>u</userName></returnval></LoginResponse>"#;
const NOT_AUTH: &str = r#"<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>The session is not authenticated.</faultstring><detail><NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated"><object type="Folder">group-d1</object><privilegeId>System.View</privilegeId></NotAuthenticatedFault></detail></soapenv:Fault>"#;
const PROPS: &str = r#"<RetrievePropertiesResponse xmlns="urn:vim25"><returnval><obj type="VirtualMachine">vm-1</obj><propSet><name>name</name><val xsi:type="xsd:string">web01</val></propSet></returnval></RetrievePropertiesResponse>"#;

fn method_of(body: &str) -> String {
    let after = body.split("<soapenv:Body>").nth(1).unwrap_or("");
    after
        .trim_start()
        .trim_start_matches('<')
        .split([' ', '>'])
        .next()
        .unwrap_or("")
        .to_string()
}

/// Serves the script, one connection per request; returns what it saw.
fn serve(script: Vec<Act>) -> (u16, Arc<Mutex<Vec<Seen>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for act in script {
            let (mut s, _) = l.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0;
            let mut cookie = None;
            loop {
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if lower.starts_with("cookie:") {
                    cookie = Some(line["cookie:".len()..].trim().to_string());
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let body = String::from_utf8(body).unwrap();
            log.lock().unwrap().push(Seen {
                method: method_of(&body),
                cookie,
                body,
            });
            let act = match act {
                Act::Raw(code, b) => {
                    write!(
                        s,
                        "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                        b.len()
                    )
                    .unwrap();
                    continue;
                }
                other => other,
            };
            match act {
                Act::Drop | Act::Raw(..) => drop(s),
                Act::Reply(code, inner, set_cookie) => {
                    let b = envelope(&inner);
                    let sc = set_cookie
                        .map(|c| {
                            format!("Set-Cookie: vmware_soap_session={c}; Path=/; HttpOnly\r\n")
                        })
                        .unwrap_or_default();
                    write!(
                        s,
                        "HTTP/1.1 {code} X\r\nContent-Type: text/xml\r\n{sc}Content-Length: {}\r\nConnection: close\r\n\r\n{b}",
                        b.len()
                    )
                    .unwrap();
                }
            }
        }
    });
    (port, seen)
}

fn session(port: u16) -> Result<Session, NetError> {
    let mut c = parse_url(&format!("http://127.0.0.1:{port}/sdk"), false).unwrap();
    c.user = Some("u".into());
    c.trust = Trust::NoVerify;
    Session::open(&c, Secret::new("pw-canary"), Duration::from_secs(10), None)
}

#[test]
fn reads_are_retried_tasks_are_not_and_an_expired_session_is_renewed() {
    let (port, seen) = serve(vec![
        Act::Drop,
        Act::Reply(200, CONTENT.into(), None),
        Act::Reply(200, LOGIN.into(), Some("\"s1\"")),
        Act::Drop,
        Act::Drop,
        Act::Reply(500, NOT_AUTH.into(), None),
        Act::Reply(200, LOGIN.into(), Some("\"s2\"")),
        Act::Reply(200, PROPS.into(), None),
    ]);
    let s = session(port).unwrap();
    assert_eq!(s.server().api_version.to_string(), "7.0.3.0");
    // A task-starting call is sent once, never repeated after a broken connection.
    let vm = MoRef::new("VirtualMachine", "vm-1");
    let e = s.start_task(&soap::power_on(&vm).unwrap()).unwrap_err();
    assert!(matches!(e, NetError::Http(_)), "{e:?}");
    // A read is repeated; NotAuthenticated logs in again and repeats it.
    let objs = s
        .retrieve(&[PropSpec {
            obj: &vm,
            paths: &["name"],
        }])
        .unwrap_or_else(|e| {
            panic!(
                "{e}: {:?}",
                seen.lock()
                    .unwrap()
                    .iter()
                    .map(|s| s.method.clone())
                    .collect::<Vec<_>>()
            )
        });
    assert_eq!(objs[0].text("name"), Some("web01"));
    let seen = seen.lock().unwrap().clone();
    let methods: Vec<&str> = seen.iter().map(|s| s.method.as_str()).collect();
    assert_eq!(
        methods,
        vec![
            "RetrieveServiceContent",
            "RetrieveServiceContent",
            "Login",
            "PowerOnVM_Task",
            "RetrieveProperties",
            "RetrieveProperties",
            "Login",
            "RetrieveProperties",
        ]
    );
    let cookies: Vec<Option<&str>> = seen.iter().map(|s| s.cookie.as_deref()).collect();
    assert_eq!(cookies[3], Some("vmware_soap_session=\"s1\""));
    assert_eq!(
        cookies[6], None,
        "a re-login must not send the dead session's cookie"
    );
    assert_eq!(cookies[7], Some("vmware_soap_session=\"s2\""));
    // The password is in the Login bodies only.
    for s in &seen {
        assert_eq!(
            s.body.contains("pw-canary"),
            s.method == "Login",
            "{}",
            s.method
        );
    }
}

#[test]
fn a_second_not_authenticated_is_an_error() {
    let (port, _) = serve(vec![
        Act::Reply(200, CONTENT.into(), None),
        Act::Reply(200, LOGIN.into(), None),
        Act::Reply(500, NOT_AUTH.into(), None),
        Act::Reply(200, LOGIN.into(), None),
        Act::Reply(500, NOT_AUTH.into(), None),
    ]);
    let s = session(port).unwrap();
    let vm = MoRef::new("VirtualMachine", "vm-1");
    let e = s
        .retrieve(&[PropSpec {
            obj: &vm,
            paths: &["name"],
        }])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "RetrieveProperties: the vCenter session is not (or no longer) logged in (NotAuthenticated): The session is not authenticated."
    );
}

#[test]
fn a_non_soap_reply_is_named() {
    let (port, _) = serve(vec![Act::Raw(
        502,
        "<html><body>502 Bad Gateway</body></html>",
    )]);
    let e = session(port).unwrap_err();
    let m = e.to_string();
    assert!(
        m.starts_with("RetrieveServiceContent: HTTP 502 from http://127.0.0.1:"),
        "{m}"
    );
    assert!(m.contains("not a SOAP Envelope"), "{m}");
}
