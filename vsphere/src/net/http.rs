//! HTTP for SOAP: ureq 3 with our own TLS step in its connector chain, because ureq has no
//! hook for a custom certificate verifier (algesten/ureq#1087). The chain is ureq's default
//! one (SOCKS proxy, CONNECT proxy, TCP) with rustls from [`super::tls`] at the end; the
//! connector API is outside ureq's semver promise, hence the `~3.5` pin.

use super::tls::{Refusal, client_config};
use crate::connect::Connection;
use crate::secret::Secret;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout,
    SocksConnector, TcpConnector, Transport, TransportAdapter,
};

/// The largest reply read (an inventory-wide property page is a few MB).
const MAX_REPLY: u64 = 64 << 20;

#[derive(Debug)]
struct TlsConnector {
    config: Arc<ClientConfig>,
}

fn io_err(e: impl std::fmt::Display) -> ureq::Error {
    ureq::Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        e.to_string(),
    ))
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .host()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let name = ServerName::try_from(host).map_err(io_err)?;
        let mut conn = ClientConnection::new(self.config.clone(), name).map_err(io_err)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            stream: StreamOwned { conn, sock },
        })))
    }
}

struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = self.buffers.output().get(..amount).unwrap_or(&[]);
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let n = self.stream.read(input)?;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// Why an HTTP exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The TLS handshake refused the server's certificate (deterministic: never retried).
    Refused(String),
    /// Could not reach the server, or the connection broke (a read may be retried).
    Connection(String),
    Setup(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Refused(m) | HttpError::Connection(m) | HttpError::Setup(m) => {
                f.write_str(m)
            }
        }
    }
}

#[derive(Debug)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
    /// `vmware_soap_session=…` from Set-Cookie.
    pub session_cookie: Option<Secret>,
}

/// One client per run, shared by all threads (ureq pools connections).
#[derive(Debug)]
pub struct Http {
    agent: ureq::Agent,
    url: String,
    refusal: Refusal,
}

impl Http {
    pub fn new(conn: &Connection, timeout: Duration) -> Result<Http, HttpError> {
        let refusal: Refusal = Arc::new(Mutex::new(None));
        let tls = client_config(&conn.trust, &refusal).map_err(HttpError::Setup)?;
        let proxy = match &conn.proxy {
            Some(p) => Some(
                ureq::Proxy::new(&p.url())
                    .map_err(|e| HttpError::Setup(format!("proxy {}: {e}", p.url())))?,
            ),
            None => None,
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .user_agent(concat!("guestnet/", env!("CARGO_PKG_VERSION")))
            .proxy(proxy)
            .build();
        let connector =
            ().chain(SocksConnector::default())
                .chain(ConnectProxyConnector::default())
                .chain(TcpConnector::default())
                .chain(TlsConnector {
                    config: Arc::new(tls),
                });
        Ok(Http {
            agent: ureq::Agent::with_parts(config, connector, DefaultResolver::default()),
            url: conn.endpoint.url(),
            refusal,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs a SOAP body. HTTP error statuses come back as replies (SOAP faults are 500s).
    pub fn post(
        &self,
        soap_action: &str,
        cookie: Option<&Secret>,
        body: &str,
    ) -> Result<HttpReply, HttpError> {
        if let Ok(mut g) = self.refusal.lock() {
            *g = None;
        }
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", soap_action);
        if let Some(c) = cookie {
            req = req.header("Cookie", c.expose());
        }
        let mut resp = match req.send(body) {
            Ok(r) => r,
            Err(e) => {
                let refused = self.refusal.lock().ok().and_then(|mut g| g.take());
                return Err(match refused {
                    Some(why) => HttpError::Refused(why),
                    None => HttpError::Connection(format!("cannot talk to {}: {e}", self.url)),
                });
            }
        };
        let session_cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|c| c.trim_start().starts_with("vmware_soap_session="))
            .map(|c| Secret::new(c.trim()));
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_REPLY)
            .read_to_string()
            .map_err(|e| {
                HttpError::Connection(format!("reading the reply from {}: {e}", self.url))
            })?;
        Ok(HttpReply {
            status,
            body,
            session_cookie,
        })
    }
}
