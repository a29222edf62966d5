//! Finding VMs: by inventory path (`FindByInventoryPath`), by instance or BIOS UUID
//! (`FindByUuid`), or by name (one container view over the datacenter, read once per run in
//! pages, so a fleet costs one lookup, not one per VM).

use super::session::{NetError, Session, body};
use crate::connect::{Connection, Flavor};
use crate::plan::Target;
use crate::soap::{self, MoRef};
use std::collections::HashMap;
use std::sync::Mutex;

/// Where lookups happen: the datacenter from a `vpx://` path or `GOVC_DATACENTER`.
#[derive(Debug)]
pub struct Finder {
    pub datacenter: Option<(String, MoRef)>,
    names: Mutex<Option<HashMap<String, Vec<MoRef>>>>,
}

/// Inventory path segments escape `/` in names as `%2f` (as vSphere does).
fn escape_segment(s: &str) -> String {
    s.replace('%', "%25").replace('/', "%2f")
}

fn find_path(s: &Session, path: &str) -> Result<Option<MoRef>, NetError> {
    let req = soap::find_by_inventory_path(&s.content.search_index, path).map_err(body)?;
    let resp = s.call(&req)?;
    Ok(soap::returnvals(&resp).next().and_then(soap::moref))
}

impl Finder {
    /// Resolves the connection's datacenter (and checks the `vpx://` host part exists).
    pub fn new(s: &Session, conn: &Connection) -> Result<Finder, NetError> {
        let mut datacenter = None;
        if conn.flavor == Flavor::Vpx {
            let segs: Vec<String> = conn.inventory.iter().map(|x| escape_segment(x)).collect();
            for i in 1..segs.len() {
                let prefix = segs[..i].join("/");
                if let Some(m) = find_path(s, &prefix)?
                    && m.kind == "Datacenter"
                {
                    let rest = segs[i..].join("/");
                    let compute = format!("{prefix}/host/{rest}");
                    if find_path(s, &compute)?.is_none() {
                        return Err(NetError::Other(format!(
                            "the URI names host {rest} in datacenter {prefix}, which vCenter does not know (inventory path {compute})"
                        )));
                    }
                    datacenter = Some((prefix, m));
                    break;
                }
            }
            if datacenter.is_none() {
                return Err(NetError::Other(format!(
                    "no datacenter found on the URI path {}",
                    conn.inventory.join("/")
                )));
            }
        } else if let Some(dc) = &conn.datacenter {
            let path = dc.trim_matches('/').to_string();
            match find_path(s, &path)? {
                Some(m) if m.kind == "Datacenter" => datacenter = Some((path, m)),
                _ => {
                    return Err(NetError::Other(format!(
                        "datacenter {dc} (GOVC_DATACENTER / --datacenter) does not exist"
                    )));
                }
            }
        }
        Ok(Finder {
            datacenter,
            names: Mutex::new(None),
        })
    }

    fn scope(&self) -> String {
        match &self.datacenter {
            Some((p, _)) => format!(" in datacenter {p}"),
            None => String::new(),
        }
    }

    /// The VM a target names; errors say what was searched.
    pub fn find(&self, s: &Session, t: &Target) -> Result<MoRef, NetError> {
        let vm_only = |m: Option<MoRef>| m.filter(|m| m.kind == "VirtualMachine");
        match t {
            Target::Path(p) => {
                if let Some(m) = vm_only(find_path(s, p)?) {
                    return Ok(m);
                }
                if let Some((dc, _)) = &self.datacenter
                    && let Some(m) = vm_only(find_path(s, &format!("{dc}/vm/{p}"))?)
                {
                    return Ok(m);
                }
                Err(NetError::Other(format!(
                    "no VM at inventory path {p}{}",
                    self.scope()
                )))
            }
            Target::Uuid(u) => {
                let dc = self.datacenter.as_ref().map(|(_, m)| m);
                for instance in [true, false] {
                    let req = soap::find_by_uuid(&s.content.search_index, dc, u, instance)
                        .map_err(body)?;
                    let resp = s.call(&req)?;
                    if let Some(m) = vm_only(soap::returnvals(&resp).next().and_then(soap::moref)) {
                        return Ok(m);
                    }
                }
                Err(NetError::Other(format!(
                    "no VM with instance or BIOS UUID {u}{}",
                    self.scope()
                )))
            }
            Target::Name(n) => {
                let mut g = self
                    .names
                    .lock()
                    .map_err(|_| NetError::Other("lookup lock poisoned".into()))?;
                if g.is_none() {
                    *g = Some(self.index(s)?);
                }
                let found = g
                    .as_ref()
                    .and_then(|m| m.get(n))
                    .cloned()
                    .unwrap_or_default();
                match found.as_slice() {
                    [one] => Ok(one.clone()),
                    [] => Err(NetError::Other(format!("no VM named {n}{}", self.scope()))),
                    many => Err(NetError::Other(format!(
                        "{} VMs are named {n}{} ({}); name one by inventory path or UUID",
                        many.len(),
                        self.scope(),
                        many.iter()
                            .map(|m| m.value.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                }
            }
        }
    }

    /// Every VM's name, through a container view, a page at a time.
    fn index(&self, s: &Session) -> Result<HashMap<String, Vec<MoRef>>, NetError> {
        let Some(vmgr) = &s.content.view_manager else {
            return Err(NetError::Other(
                "this server has no ViewManager to look VMs up by name; use an inventory path or UUID".into(),
            ));
        };
        let root = match &self.datacenter {
            Some((_, m)) => m.clone(),
            None => s.content.root_folder.clone(),
        };
        let req = soap::create_container_view(vmgr, &root, "VirtualMachine").map_err(body)?;
        let resp = s.call(&req)?;
        let view = soap::returnvals(&resp)
            .next()
            .and_then(soap::moref)
            .ok_or_else(|| NetError::Protocol("CreateContainerView returned no view".into()))?;
        let mut map: HashMap<String, Vec<MoRef>> = HashMap::new();
        let result = (|| {
            let req = soap::retrieve_view(
                &s.content.property_collector,
                &view,
                "VirtualMachine",
                &["name"],
                1000,
            )
            .map_err(body)?;
            let (mut objs, mut token) = soap::object_contents(&s.call(&req)?);
            loop {
                for o in objs.drain(..) {
                    if let Some(n) = o.text("name") {
                        map.entry(n.to_string()).or_default().push(o.obj.clone());
                    }
                }
                let Some(t) = token.take() else { break };
                let req =
                    soap::continue_retrieve(&s.content.property_collector, &t).map_err(body)?;
                (objs, token) = soap::object_contents(&s.call(&req)?);
            }
            Ok::<_, NetError>(())
        })();
        if let Ok(req) = soap::destroy_view(&view) {
            let _ = s.call(&req);
        }
        result?;
        Ok(map)
    }
}
