#!/usr/bin/python3
"""Oracle for guestnet's guest targets: reads every *.cfg (cust.cfg) and *.xml (ovf-env.xml)
in a directory with Debian's cloud-init (22.4.2, /usr/lib/python3/dist-packages) and prints
one JSON object per file on stdout. Run with the system interpreter (/usr/bin/python3)."""
import configparser
import json
import os
import sys
from xml.dom import minidom

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmx_dictll  # noqa: E402  (next to this script)

from cloudinit.sources import DataSourceOVF as ovf
from cloudinit.sources.helpers.vmware.imc.config import Config
from cloudinit.sources.helpers.vmware.imc.config_file import ConfigFile


def custcfg(path):
    raw = configparser.ConfigParser()
    raw.optionxform = str
    raw.read(path)
    shape = {s: sorted(raw[s].keys()) for s in raw.sections()}
    conf = Config(ConfigFile(path))
    net = ovf.get_network_config_from_conf(conf, use_system_devices=False, configure=False)
    md, _ud, cfg = ovf.read_vmware_imc(conf)
    return {"shape": shape, "network": net, "metadata": md, "cfg": cfg,
            "values": {f"{s}|{k}": v for s in raw.sections() for k, v in raw[s].items()}}


def ovfenv(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    props = ovf.get_properties(text)
    md, _ud, _cfg = ovf.read_ovf_environment(text, read_network=True)
    dom = minidom.parseString(text)
    elements = len(dom.getElementsByTagName("*"))
    nprops = len(dom.getElementsByTagNameNS("http://schemas.dmtf.org/ovf/environment/1", "Property"))
    return {"properties": props, "metadata": md, "elements": elements, "property_elements": nprops}


def vmx(path):
    """A VMX snippet read as ESXi reads it (vmx_dictll: open-vm-tools' line reader and
    unescaping); the embedded guestinfo.ovfEnv is read with cloud-init's OVF parser."""
    keys, values = vmx_dictll.read(path)
    out = {"keys": keys, "values": values}
    if "guestinfo.ovfEnv" in values:
        out["ovf_properties"] = ovf.get_properties(values["guestinfo.ovfEnv"])
    return out


def main():
    d = sys.argv[1]
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        try:
            if name.endswith(".cfg"):
                out = custcfg(p)
            elif name.endswith(".xml"):
                out = ovfenv(p)
            elif name.endswith(".vmx"):
                out = vmx(p)
            else:
                continue
            out["file"] = name
        except Exception as e:  # report, the Rust side fails the test
            out = {"file": name, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out, sort_keys=True, default=str))


main()
