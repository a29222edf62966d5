//! One vim25 session per run: RetrieveServiceContent, Login, the calls, Logout. A call that
//! finds the session gone (NotAuthenticated) logs in again once and is repeated; a read
//! (never a task) is retried after a connection error.

use super::http::{Http, HttpError};
use crate::connect::Connection;
use crate::fault::sentence;
use crate::plan::Server;
use crate::secret::Secret;
use crate::soap::{self, Fault, MoRef, ObjectContent, PropSpec, Reply, Request};
use guestnet_core::vim25::VimVersion;
use guestnet_core::vim25::xml::Element;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a call failed, as a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("{0}")]
    Http(String),
    /// The server refused the certificate check (see [`super::tls`]).
    #[error("{0}")]
    Tls(String),
    #[error("{method}: {}", sentence(fault))]
    Fault { method: String, fault: Fault },
    #[error("{0}")]
    Protocol(String),
    #[error("{0}")]
    Other(String),
}

impl NetError {
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            NetError::Fault { fault, .. } => Some(fault),
            _ => None,
        }
    }

    fn is_not_authenticated(&self) -> bool {
        self.fault().is_some_and(|f| f.kind == "NotAuthenticated")
    }
}

/// Receives one line per call (method and target, never a body) for `--verbose`.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// The managed objects guestnet uses, from ServiceContent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub root_folder: MoRef,
    pub property_collector: MoRef,
    pub view_manager: Option<MoRef>,
    pub session_manager: MoRef,
    pub search_index: MoRef,
    pub event_manager: Option<MoRef>,
    pub guest_customization_manager: Option<MoRef>,
    pub api_version: String,
    pub api_type: String,
    pub full_name: String,
}

fn content_from(resp: &Element) -> Result<Content, NetError> {
    let rv = soap::returnvals(resp)
        .next()
        .ok_or_else(|| NetError::Protocol("RetrieveServiceContent returned nothing".into()))?;
    let m = |n: &str| rv.child(n).and_then(soap::moref);
    let need =
        |n: &str| m(n).ok_or_else(|| NetError::Protocol(format!("the ServiceContent has no {n}")));
    let about = rv.child("about");
    let a = |n: &str| {
        about
            .and_then(|x| x.child(n))
            .map(|x| x.text.trim().to_string())
            .unwrap_or_default()
    };
    Ok(Content {
        root_folder: need("rootFolder")?,
        property_collector: need("propertyCollector")?,
        view_manager: m("viewManager"),
        session_manager: need("sessionManager")?,
        search_index: need("searchIndex")?,
        event_manager: m("eventManager"),
        guest_customization_manager: m("guestCustomizationManager"),
        api_version: a("apiVersion"),
        api_type: a("apiType"),
        full_name: a("fullName"),
    })
}

pub struct Session {
    http: Http,
    pub content: Content,
    user: String,
    password: Secret,
    cookie: Mutex<Option<Secret>>,
    soap_action: String,
    log: Option<Log>,
    /// Serialises re-logins so parallel workers do not all log in again at once.
    relogin: Mutex<u32>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("url", &self.http.url())
            .field("user", &self.user)
            .finish()
    }
}

impl Session {
    /// Connects and logs in.
    pub fn open(
        conn: &Connection,
        password: Secret,
        timeout: Duration,
        log: Option<Log>,
    ) -> Result<Session, NetError> {
        let http = Http::new(conn, timeout).map_err(http_error)?;
        let mut s = Session {
            http,
            content: Content {
                root_folder: soap::service_instance(),
                property_collector: soap::service_instance(),
                view_manager: None,
                session_manager: soap::service_instance(),
                search_index: soap::service_instance(),
                event_manager: None,
                guest_customization_manager: None,
                api_version: String::new(),
                api_type: String::new(),
                full_name: String::new(),
            },
            user: conn.user.clone().unwrap_or_default(),
            password,
            cookie: Mutex::new(None),
            // The oldest version guestnet needs; replaced by the server's own below.
            soap_action: "urn:vim25/6.5".into(),
            log,
            relogin: Mutex::new(0),
        };
        let resp = s.call(&soap::retrieve_service_content().map_err(body)?)?;
        s.content = content_from(&resp)?;
        if !s.content.api_version.is_empty() {
            s.soap_action = format!("urn:vim25/{}", s.content.api_version);
        }
        s.login()?;
        Ok(s)
    }

    pub fn url(&self) -> &str {
        self.http.url()
    }

    pub fn server(&self) -> Server {
        Server {
            api_version: VimVersion::parse(&self.content.api_version)
                .unwrap_or(VimVersion([6, 5, 0, 0])),
            guest_customization_manager: self.content.guest_customization_manager.clone(),
        }
    }

    fn login(&self) -> Result<(), NetError> {
        // A stale cookie would make the server treat this as a call inside the old session.
        if let Ok(mut g) = self.cookie.lock() {
            *g = None;
        }
        let req = soap::login(
            &self.content.session_manager,
            &self.user,
            self.password.expose(),
        )
        .map_err(body)?;
        self.send(&req).map(|_| ())
    }

    /// Logs out (best effort: the run's result does not depend on it).
    pub fn logout(&self) {
        if let Ok(req) = soap::logout(&self.content.session_manager) {
            let _ = self.send(&req);
        }
    }

    fn note(&self, line: &str) {
        if let Some(l) = &self.log {
            l(line);
        }
    }

    /// One exchange, no retries.
    fn send(&self, req: &Request) -> Result<Element, NetError> {
        self.note(&format!("-> {}", req.method));
        let cookie = self.cookie.lock().ok().and_then(|g| g.clone());
        let reply = self
            .http
            .post(&self.soap_action, cookie.as_ref(), &req.body)
            .map_err(http_error)?;
        if let Some(c) = reply.session_cookie
            && let Ok(mut g) = self.cookie.lock()
        {
            *g = Some(c);
        }
        match soap::parse_reply(&reply.body) {
            Ok(Reply::Ok(el)) if reply.status == 200 => Ok(el),
            Ok(Reply::Ok(_)) => Err(NetError::Protocol(format!(
                "{}: HTTP {} from {}",
                req.method,
                reply.status,
                self.http.url()
            ))),
            Ok(Reply::Fault(f)) => {
                self.note(&format!("<- {} fault {}", req.method, f.kind));
                Err(NetError::Fault {
                    method: req.method.to_string(),
                    fault: f,
                })
            }
            Err(e) if reply.status != 200 => Err(NetError::Protocol(format!(
                "{}: HTTP {} from {} ({e})",
                req.method,
                reply.status,
                self.http.url()
            ))),
            Err(e) => Err(NetError::Protocol(format!("{}: {e}", req.method))),
        }
    }

    /// A call: re-login once on NotAuthenticated; reads retried on connection errors.
    pub fn call(&self, req: &Request) -> Result<Element, NetError> {
        let mut relogged = false;
        let mut attempt = 0u32;
        loop {
            let r = self.send(req).and_then(|el| {
                // vcsim answers an unauthenticated RetrieveProperties with missingSet
                // NotAuthenticated instead of a fault: treat it as one.
                let (objs, _) = soap::object_contents(&el);
                match objs
                    .iter()
                    .flat_map(|o| &o.missing)
                    .find(|(_, f)| f.kind == "NotAuthenticated")
                {
                    Some((_, f)) => Err(NetError::Fault {
                        method: req.method.to_string(),
                        fault: f.clone(),
                    }),
                    None => Ok(el),
                }
            });
            match r {
                Err(e) if e.is_not_authenticated() && !relogged && req.method != "Login" => {
                    relogged = true;
                    let mut n = self
                        .relogin
                        .lock()
                        .map_err(|_| NetError::Other("session lock poisoned".into()))?;
                    self.note("session expired: logging in again");
                    self.login()?;
                    *n += 1;
                }
                Err(NetError::Http(m)) if req.idempotent && attempt < 2 => {
                    attempt += 1;
                    self.note(&format!("{m}; retrying {} ({attempt}/2)", req.method));
                    std::thread::sleep(Duration::from_millis(500 * u64::from(attempt)));
                }
                other => return other,
            }
        }
    }

    /// Properties of some objects.
    pub fn retrieve(&self, specs: &[PropSpec<'_>]) -> Result<Vec<ObjectContent>, NetError> {
        let req =
            soap::retrieve_properties(&self.content.property_collector, specs).map_err(body)?;
        Ok(soap::object_contents(&self.call(&req)?).0)
    }

    /// A task-returning method: the Task's reference.
    pub fn start_task(&self, req: &Request) -> Result<MoRef, NetError> {
        let resp = self.call(req)?;
        soap::returnvals(&resp)
            .next()
            .and_then(soap::moref)
            .ok_or_else(|| NetError::Protocol(format!("{} returned no task", req.method)))
    }
}

pub fn body(e: soap::BodyError) -> NetError {
    NetError::Other(e.to_string())
}

fn http_error(e: HttpError) -> NetError {
    match e {
        HttpError::Refused(m) => NetError::Tls(m),
        HttpError::Connection(m) => NetError::Http(m),
        HttpError::Setup(m) => NetError::Other(m),
    }
}
