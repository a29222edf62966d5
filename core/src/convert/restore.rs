//! vm-operator's `vmoperator.vmware.com/conversion` annotation (placeholder).

use super::Up;
use crate::model::{ApiVersion, VirtualMachine};
use crate::source::Node;

pub(super) fn apply(_vm: &mut VirtualMachine, _from: ApiVersion, _root: &Node, _cx: &mut Up) {}
