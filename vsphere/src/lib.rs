//! guestnet-vsphere: applies what guestnet renders to vSphere VMs over vim25 SOAP/HTTPS.
//!
//! Thin and explicit (design §8): log in once, find the VM (inventory path, UUID or name),
//! read its power state, tools state, guest OS and network adapters in PCI order, bind the
//! adapters' MACs to the spec's interfaces, then send the one method the bootstrap provider
//! and power state call for, wait for the task, and log out. Everything that decides what to
//! send ([`plan`]) is pure and tested without a server; the [`net`] half talks to one.
//!
//! Never part of the wasm build: `guestnet-core` does not depend on this crate.

pub mod bind;
pub mod connect;
pub mod fault;
pub mod plan;
pub mod secret;
pub mod secrets;
pub mod soap;
pub mod status;
pub mod vm;

#[cfg(feature = "net")]
pub mod net;
