//! Who may reach the app, and as whom: the session cookie, the CSRF token every write carries,
//! the tokens of read-only readers, and the security headers on every answer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::account::Actor;
use crate::home::Home;
use crate::transport::now_ms;

/// The session cookie's name at the node `home`: its own, so that two nodes served on one
/// machine (a browser keeps cookies per host, whatever the port) keep their sessions apart.
pub fn session_cookie(home: &Home) -> String {
    format!("nhip_session_{}", &home.node().to_hex()[..12])
}

/// The header every write carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-nhip-csrf";

/// What every answer is allowed to load and run: this node's own files only, no inline script,
/// no frames. (Inline styles are allowed: the overview's bars and charts are sized by them.)
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The tokens file: who may read the overview from another machine or a script.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    /// The tokens.
    #[serde(default, rename = "token")]
    pub tokens: Vec<Token>,
}

/// One token.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Token {
    /// The secret value.
    pub value: String,
    /// `staff` or `auditor` (both read-only).
    pub role: String,
}

/// Who a request comes from, as [`admit`] found.
#[derive(Clone)]
pub enum Caller {
    /// A person logged in here (or, before any account exists at a node reached on loopback,
    /// the node's own person, unsigned — as the command line acts).
    Person {
        /// Who acts.
        actor: Box<Actor>,
        /// Their session (none in the unsigned case).
        session: Option<String>,
    },
    /// A reader with a token: reads only.
    Reader,
}

/// The access rules of one served address.
pub struct Gate {
    home: Arc<Home>,
    loopback: bool,
    tokens: Vec<String>,
    /// Keys the CSRF tokens: this process's alone, so a restart invalidates them with the
    /// sessions they belong to.
    secret: [u8; 32],
}

impl Gate {
    /// The rules for the app served at `addr`: beyond loopback, tokens must exist.
    pub fn new(home: &Arc<Home>, addr: SocketAddr) -> Result<Gate, String> {
        let tokens: Tokens = crate::config::read_or_default(&home.dir.join("tokens.toml"))
            .map_err(|error| error.to_string())?;
        let loopback = addr.ip().is_loopback();
        if !loopback && tokens.tokens.is_empty() {
            return Err(
                "the app listens beyond this machine: put tokens in tokens.toml first".into(),
            );
        }
        if tokens
            .tokens
            .iter()
            .any(|token| token.value.trim().len() < 8)
        {
            return Err("tokens.toml: every token needs a value of at least 8 characters".into());
        }
        let mut secret = [0; 32];
        getrandom::fill(&mut secret).map_err(|error| error.to_string())?;
        Ok(Gate {
            home: home.clone(),
            loopback,
            tokens: tokens.tokens.into_iter().map(|token| token.value).collect(),
            secret,
        })
    }

    /// The CSRF token that goes with `session` (the empty string: no session).
    pub fn csrf(&self, session: &str) -> String {
        let hash = blake3::keyed_hash(&self.secret, session.as_bytes());
        hash.to_hex().as_str()[..32].to_owned()
    }

    /// Who the request comes from, if anyone the rules let in.
    fn caller(&self, headers: &HeaderMap, query: Option<&str>) -> Option<Caller> {
        if let Some(token) = cookie(headers, &session_cookie(&self.home)) {
            if let Ok(actor) = self.home.sessions.actor(token, now_ms()) {
                return Some(Caller::Person {
                    actor: Box::new(actor),
                    session: Some(token.to_owned()),
                });
            }
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let offered = bearer.or_else(|| {
            query?
                .split('&')
                .find_map(|pair| pair.strip_prefix("token="))
        });
        if offered.is_some_and(|offered| self.tokens.iter().any(|token| token == offered)) {
            return Some(Caller::Reader);
        }
        // Before anyone has an account (or a setup code to make one), a page on this machine
        // acts as the command line does.
        let no_accounts = self.home.state().is_ok_and(|state| {
            state.registry.accounts.is_empty() && state.registry.setups.is_empty()
        });
        (self.loopback && no_accounts).then(|| Caller::Person {
            actor: Box::new(Actor::unsigned(self.home.config.person.clone())),
            session: None,
        })
    }
}

/// The value of cookie `name` in `headers`.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

/// Paths anyone may reach: the page itself, its assets and words, and logging in.
fn is_open(path: &str) -> bool {
    path == "/"
        || path == "/hub"
        || path.starts_with("/assets/")
        || matches!(
            path,
            "/app/words" | "/app/login" | "/app/logout" | "/app/me"
        )
}

/// Whether a write comes from a page of this very address (not another site in the same
/// browser): its Origin, when the browser sends one, names the Host it was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|origin| origin == host)
}

/// The access layer: lets a request through as its [`Caller`] or answers 401/403, and puts
/// the security headers on every answer.
pub async fn admit(State(gate): State<Arc<Gate>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let write = request.method() != Method::GET && request.method() != Method::HEAD;
    let mut response = if write && !same_origin(request.headers()) {
        (StatusCode::FORBIDDEN, "cross-site request").into_response()
    } else {
        let caller = gate.caller(request.headers(), request.uri().query());
        match caller {
            _ if is_open(&path) => {
                if let Some(caller) = caller {
                    request.extensions_mut().insert(caller);
                }
                next.run(request).await
            }
            None => (StatusCode::UNAUTHORIZED, "login required").into_response(),
            Some(Caller::Reader) if write => {
                (StatusCode::FORBIDDEN, "tokens read only").into_response()
            }
            Some(Caller::Person { session, .. })
                if write
                    && request
                        .headers()
                        .get(CSRF_HEADER)
                        .and_then(|v| v.to_str().ok())
                        != Some(gate.csrf(session.as_deref().unwrap_or_default()).as_str()) =>
            {
                (StatusCode::FORBIDDEN, "missing or wrong CSRF token").into_response()
            }
            Some(caller) => {
                request.extensions_mut().insert(caller);
                next.run(request).await
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !path.starts_with("/assets/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
