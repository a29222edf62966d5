//! The half of the submitter that talks to a server.

pub mod exec;
pub mod find;
pub mod fleet;
pub mod http;
pub mod observe;
pub mod session;
pub mod state;
pub mod task;
pub mod tls;
