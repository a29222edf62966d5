#!/usr/bin/python3
"""Oracle: cloud-init's VMware datasource boot path (Debian 12's cloud-init 22.4.2, run with
/usr/bin/python3) over every document in a directory, one JSON object per document on stdout.

A document is either
  STEM.md (+ STEM.ud): plain guestinfo.metadata (+ guestinfo.userdata) values, or
  STEM.vmx: a VMX snippet, read line by line as ESXi's dictionary reader does
            (open-vm-tools DictLL_UnmarshalLine + Escape_Undo('|')), whose guestinfo.* keys
            are then served to the guest.

For each document this runs what `cloud-init init --local` runs, in order:
  DataSourceVMware.get_data()   (guestinfo reader patched to serve the keys above; decoding,
                                 load_json_or_yaml, process_metadata, persist_instance_data
                                 are cloud-init's own)
  get_instance_id(), util.get_hostname_fqdn()              (instancify, set-hostname)
  Init._find_networking_config's datasource branch, net.extract_physdevs (renames),
  network_state.parse_net_config_data(cfg, renderer=R) and R.render_network_state() into a
  temporary root for every Linux renderer 22.4.2 has (eni, networkd, netplan, sysconfig,
  network-manager; only the netplan renderer skips the v2 interpretation)
and, from the init (network) stage, user-data processing: UserDataProcessor.process() and the
jinja part handler's render_jinja_payload_from_file() with the instance-data cloud-init wrote.
Every cloud-init log record at WARNING or above is reported; the Rust side fails on them.
Not run: DataSourceVMware.setup() (init stage), which polls this machine's NICs for
wait-on-network and advertises their addresses through vmware-rpctool; lookups of devices by
MAC see no NICs, as on a guest whose NICs are not this machine's.
"""
import json
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
from unittest import mock

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmx_dictll  # noqa: E402  (next to this script)

from cloudinit import cloud as ci_cloud
from cloudinit import distros, helpers, util
from cloudinit.handlers.jinja_template import render_jinja_payload_from_file
from cloudinit.net import extract_physdevs, is_disabled_cfg, network_state, renderers
from cloudinit.sources import DataSourceVMware as dsvmw
from cloudinit.user_data import UserDataProcessor

DMI_UUID = "4237A1B2-C3D4-E5F6-0718-293A4B5C6D7E"


# Every Linux renderer, configured as the distro class that uses it configures it (Debian:
# eni, netplan; RHEL: sysconfig), except netplan's postcmds, which would run `netplan
# generate` on this machine (the netplan oracle does that with guestnet's own file), and
# with relative paths: the netplan renderer joins its path to the target with os.path.join,
# so Debian's absolute /etc/netplan/... would escape the temporary root.
def _relative(config):
    return {k: v.lstrip("/") if k.endswith("_path") and isinstance(v, str) else v
            for k, v in config.items()}


RENDERERS = {
    "eni": _relative(distros.fetch("debian").renderer_configs["eni"]),
    "networkd": {},
    "netplan": _relative(dict(distros.fetch("debian").renderer_configs["netplan"],
                              postcmds=False)),
    "sysconfig": distros.fetch("rhel").renderer_configs["sysconfig"],
    "network-manager": {},
}


# Per-document scratch roots live in memory when the machine has /dev/shm (file system
# latency dominated the run time otherwise).
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


class Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def guestinfo_store(path):
    """The guestinfo keys the guest can read: from a VMX snippet or from plain files."""
    if path.endswith(".vmx"):
        _keys, values = vmx_dictll.read(path)
        return {k: v for k, v in values.items() if k.startswith("guestinfo.")}
    store = {}
    with open(path, encoding="utf-8") as f:
        store["guestinfo.metadata"] = f.read()
    ud = path[: -len(".md")] + ".ud"
    if os.path.exists(ud):
        with open(ud, encoding="utf-8") as f:
            store["guestinfo.userdata"] = f.read()
    return store


def iface_summary(ns):
    ifaces = []
    for i in ns.iter_interfaces():
        subnets = []
        for s in i.get("subnets", []):
            subnets.append({k: s.get(k) for k in (
                "type", "address", "prefix", "netmask", "gateway", "dns_nameservers",
                "dns_search", "routes") if s.get(k) is not None})
        ifaces.append({
            "name": i.get("name"), "type": i.get("type"), "mac_address": i.get("mac_address"),
            "mtu": i.get("mtu"), "accept-ra": i.get("accept-ra"), "vlan_id": i.get("vlan_id"),
            "vlan-raw-device": i.get("vlan-raw-device"), "subnets": subnets,
            "dns": i.get("dns"),
        })
    return {
        "interfaces": ifaces,
        "routes": list(ns.iter_routes()),
        "nameservers": list(ns.dns_nameservers),
        "search": list(ns.dns_searchdomains),
    }


def boot(path, work):
    store = guestinfo_store(path)
    served = []

    def get_value(key, vmware_rpctool=None):
        served.append(key)
        full = dsvmw.get_guestinfo_key_name(key)
        if full not in store:
            return None  # vmware-rpctool: "No value found"
        return dsvmw.handle_returned_guestinfo_val(key, store[full])

    set_calls = []

    def set_value(key, value, vmware_rpctool=None):
        set_calls.append(key)
        return True

    uuid_file = os.path.join(work, "product_uuid")
    with open(uuid_file, "w") as f:
        f.write(DMI_UUID + "\n")
    paths = helpers.Paths({
        "cloud_dir": os.path.join(work, "cloud"),
        "run_dir": os.path.join(work, "run"),
        "templates_dir": "/etc/cloud/templates/",
    })
    distro = distros.fetch("debian")("debian", {}, paths)
    out = {}
    # The guest's NICs are not this machine's: cloud-init's lookups of devices by MAC see
    # none, so names come from the document alone, as on a guest before its first boot.
    # NetworkStateInterpreter.dump_network_state() YAML-dumps the whole state once per
    # interface for debug logging only (handle_physical discards the result); that dump was
    # most of this oracle's CPU time, and no value of it reaches the network config.
    with mock.patch.object(network_state.NetworkStateInterpreter, "dump_network_state",
                           lambda self: ""), \
            mock.patch.object(network_state, "get_interfaces_by_mac", lambda *a, **k: {}), \
            mock.patch.object(network_state, "find_interface_name_from_mac",
                              lambda *a, **k: None), \
            mock.patch.object(dsvmw, "guestinfo_get_value", get_value), \
            mock.patch.object(dsvmw, "guestinfo_set_value", set_value), \
            mock.patch.object(dsvmw.dmi, "read_dmi_data",
                              lambda key: "VMware7,1" if key == "system-product-name" else None), \
            mock.patch.object(dsvmw, "PRODUCT_UUID_FILE_PATH", uuid_file), \
            mock.patch.dict(os.environ, {}, clear=False):
        os.environ.pop(dsvmw.VMX_GUESTINFO, None)
        ds = dsvmw.DataSourceVMware({}, distro, paths)
        ds.vmware_rpctool = "/usr/bin/vmware-rpctool"  # never run: the reader is patched
        out["get_data"] = bool(ds.get_data())
        out["subplatform"] = ds.subplatform
        out["served"] = sorted(set(served))
        out["redacted"] = set_calls
        out["instance_id"] = ds.get_instance_id()
        c = ci_cloud.Cloud(ds, paths, {}, distro, None)
        hn = util.get_hostname_fqdn({}, c, metadata_only=True)
        out["hostname"], out["fqdn"] = hn.hostname, hn.fqdn
        out["local_hostname"] = ds.metadata.get("local-hostname")
        out["public_keys"] = ds.get_public_ssh_keys()
        out["wait_on_network"] = ds.metadata.get("wait-on-network")

        network(ds, work, out)
        user_data(ds, paths, out)
    return out


# Network config -> (results, log records): the network stage depends on the config alone,
# and the plain and VMX forms of one document carry the same config.
NETWORK_CACHE = {}
NETWORK_KEYS = ("network_disabled", "physdevs", "network_state", "renderers")


def network(ds, work, out):
    """Init._find_networking_config's datasource branch (kernel command line and system
    config carry no network config on a fresh guest), then what apply_network_config does."""
    netcfg = ds.network_config
    if netcfg and "network" in netcfg:
        netcfg = netcfg["network"]
    out["network_config"] = netcfg
    key = json.dumps(netcfg, sort_keys=True, default=str)
    if key in NETWORK_CACHE:
        results, messages = NETWORK_CACHE[key]
        out.update(results)
        RECORDS.messages.extend(messages)
        return
    before = len(RECORDS.messages)
    apply_network(netcfg, work, out)
    NETWORK_CACHE[key] = ({k: out[k] for k in NETWORK_KEYS if k in out},
                          RECORDS.messages[before:])


def apply_network(netcfg, work, out):
    out["network_disabled"] = bool(is_disabled_cfg(netcfg))
    if not out["network_disabled"]:
        out["physdevs"] = [[p[0], p[1]] for p in extract_physdevs(netcfg)]
        out["network_state"] = iface_summary(network_state.parse_net_config_data(netcfg))
        out["renderers"] = {}
        for name, config in RENDERERS.items():
            target = os.path.join(work, "root-" + name)
            try:
                r = renderers.NAME_TO_RENDERER[name].Renderer(config=dict(config))
                ns = network_state.parse_net_config_data(netcfg, renderer=r)
                r.render_network_state(ns, target=target)
                files = sorted(os.path.relpath(os.path.join(d, f), target)
                               for d, _, fs in os.walk(target) for f in fs)
                out["renderers"][name] = {"files": files}
                if name == "netplan":
                    with open(os.path.join(target, config["netplan_path"])) as f:
                        out["renderers"][name]["passthrough_equal"] = (
                            yaml.safe_load(f) == {"network": netcfg})
            except Exception as e:  # reported per renderer; the Rust side fails
                out["renderers"][name] = {"error": f"{type(e).__name__}: {e}"}


def user_data(ds, paths, out):
    """init (network) stage: user-data processing and the jinja part handler."""
    ud = ds.get_userdata_raw()
    if ud is not None:
        ud_text = util.decode_binary(ud)
        out["userdata_raw"] = ud_text
        msg = UserDataProcessor(paths).process(ud)
        parts = [p for p in msg.walk() if not p.is_multipart()]
        out["userdata_parts"] = len(parts)
        payload = util.decode_binary(parts[0].get_payload(decode=True)) if parts else ""
        if payload.startswith("## template: jinja"):
            rendered = render_jinja_payload_from_file(
                payload, "part-001", paths.get_runpath("instance_data_sensitive"))
            out["cloud_config"] = util.load_yaml(rendered) if rendered else None
            out["cloud_config_header"] = rendered.split("\n", 1)[0] if rendered else None


RECORDS = Records()


def run_one(path):
    RECORDS.messages = []
    work = tempfile.mkdtemp(prefix="gn-ci-", dir=SCRATCH)
    try:
        out = boot(path, work)
    except Exception as e:  # reported; the Rust side fails the test
        out = {"error": f"{type(e).__name__}: {e}"}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["file"] = os.path.basename(path)
    out["warnings"] = RECORDS.messages
    return json.dumps(out, sort_keys=True, default=str)


def main():
    d = sys.argv[1]
    logging.getLogger().addHandler(RECORDS)
    logging.getLogger().setLevel(logging.DEBUG)
    paths = [os.path.join(d, n) for n in sorted(os.listdir(d))
             if n.endswith(".md") or n.endswith(".vmx")]
    # Workers forked after cloud-init is imported; consecutive files (a document's plain
    # and VMX forms) go to the same worker and share its network cache.
    workers = max(1, min(4, len(os.sched_getaffinity(0)), len(paths) // 8))
    if workers == 1:
        lines = map(run_one, paths)
    else:
        pool = multiprocessing.get_context("fork").Pool(workers)
        lines = pool.imap(run_one, paths, chunksize=4)
    for line in lines:
        print(line, flush=True)


main()
