"""Oracle for guestnet's gosc target: pyVmomi's own SOAP deserializer must accept every file
as a vim.vm.customization.Specification (it rejects unknown elements, unknown xsi:types and
malformed scalars), re-serializing must succeed (it rejects missing required fields), and
the element order of pyVmomi's canonical serialization must equal the file's.

Usage: python3 pyvmomi_check.py MANIFEST
MANIFEST lines: <path>\t<api version like 9.1.0.0>. Prints one JSON object per file.
Needs pyvmomi from PyPI (9.1.1.0 tested; Debian's 6.7 lacks CloudinitPrep)."""
import json
import re
import sys
import xml.etree.ElementTree as ET

from pyVmomi import SoapAdapter, VmomiSupport, vim

NS = ('xmlns="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
      'xmlns:xsd="http://www.w3.org/2001/XMLSchema"')
SPEC_T = vim.vm.customization.Specification


def spec_fragment(text):
    """The CustomizationSpec element: the bare document, or <spec> cut out of a SOAP body
    (guestnet's envelopes declare xsi/xsd on the Envelope, so re-declare them)."""
    if '<soapenv:Envelope' not in text:
        return re.sub(r'^<\?xml[^>]*\?>\s*', '', text)
    start = re.search(r'<spec>', text).start()
    end = text.rindex('</spec>') + len('</spec>')
    return '<spec ' + NS + '>' + text[start + len('<spec>'):end]


def order(xml_text):
    """Element paths in document order (namespaces stripped)."""
    root = ET.fromstring(xml_text)
    out = []

    def walk(el, path):
        for c in el:
            name = c.tag.split('}', 1)[-1]
            p = path + '/' + name
            out.append(p)
            walk(c, p)
    walk(root, '')
    return out


def check(path, version):
    text = open(path, encoding='utf-8').read()
    frag = spec_fragment(text)
    try:
        obj = SoapAdapter.Deserialize(frag.encode('utf-8'), SPEC_T)
    except Exception as e:  # AttributeError/KeyError/TypeError/ValueError/ExpatError
        return {'file': path, 'ok': False, 'stage': 'deserialize', 'error': f'{type(e).__name__}: {e}'}
    # pyVmomi names versions by their wire name: vim25/7.0.0.0 -> vim.version.v7_0. Fields
    # newer than the version are dropped by Serialize, so the order check below also proves
    # that guestnet left them out.
    parts = version.split('.')
    vname = None
    for n in range(len(parts), 1, -1):
        vname = VmomiSupport.versionMap.get('vim25/' + '.'.join(parts[:n]))
        if vname:
            break
    if not vname:
        return {'file': path, 'ok': False, 'stage': 'version', 'error': f'pyVmomi knows no vim25/{version}'}
    try:
        info = VmomiSupport.Object(name='spec', type=SPEC_T, version=vname, flags=0)
        canonical = SoapAdapter.Serialize(obj, info=info, version=vname)
        if isinstance(canonical, bytes):
            canonical = canonical.decode('utf-8')
    except Exception as e:
        return {'file': path, 'ok': False, 'stage': 'serialize', 'error': f'{type(e).__name__}: {e}'}
    ours, theirs = order(frag), order(canonical)
    ident = obj.identity
    host = None
    if isinstance(ident, vim.vm.customization.LinuxPrep):
        host = getattr(ident.hostName, 'name', None)
    elif isinstance(ident, vim.vm.customization.Sysprep):
        host = getattr(ident.userData.computerName, 'name', None)
    res = {'file': path, 'ok': ours == theirs, 'stage': 'order', 'identity': type(ident).__name__,
           'nics': len(obj.nicSettingMap or []), 'host': host,
           'ips': [getattr(n.adapter.ip, 'ipAddress', None) for n in (obj.nicSettingMap or [])]}
    if ours != theirs:
        res['ours'] = ours
        res['pyvmomi'] = theirs
        res['error'] = 'element order differs from pyVmomi canonical serialization'
    return res


def main():
    for line in open(sys.argv[1], encoding='utf-8'):
        line = line.rstrip('\n')
        if not line:
            continue
        path, version = line.split('\t')
        print(json.dumps(check(path, version)), flush=True)


if __name__ == '__main__':
    main()
