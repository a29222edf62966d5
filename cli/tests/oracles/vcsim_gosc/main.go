// vcsim oracle for guestnet's gosc target. Built in GOPATH mode against Debian's
// golang-github-vmware-govmomi-dev (govmomi 0.24.2):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o vcsim_gosc main.go
//
// Usage: vcsim_gosc MANIFEST. Each manifest line is
//
//	<CustomizeVM_Task request file>\t<NICs to give the VM>\t<MACs, comma-separated, or ->
//
// For every line it starts from a fresh powered-off VM with exactly that many vmxnet3 NICs
// (manual MACs when given), posts the request file verbatim — after replacing guestnet's
// ${vm-moref} placeholder with the VM's id — to the simulator's /sdk, waits for the task,
// powers the VM on (vcsim applies the pending customization then) and prints one JSON
// object with the task outcome and the VM's guest.hostName / guest.ipAddress / guest.net.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type nicResult struct {
	Mac string   `json:"mac"`
	IPs []string `json:"ips"`
}

type result struct {
	File      string      `json:"file"`
	VM        string      `json:"vm"`
	NicsInVM  int         `json:"nicsInVM"`
	HTTP      int         `json:"http"`
	State     string      `json:"state"`
	Fault     string      `json:"fault,omitempty"`
	Detail    string      `json:"detail,omitempty"`
	HostName  string      `json:"hostName"`
	IPAddress string      `json:"ipAddress"`
	GuestNet  []nicResult `json:"guestNet"`
	Error     string      `json:"error,omitempty"`
}

var returnval = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)
var faultstring = regexp.MustCompile(`(?s)<faultstring>(.*?)</faultstring>`)

type env struct {
	ctx    context.Context
	c      *govmomi.Client
	folder *object.Folder
	pool   *object.ResourcePool
	ds     *object.Datastore
	n      int
}

func (e *env) createVM(nics int, macs []string) (*object.VirtualMachine, error) {
	e.n++
	name := fmt.Sprintf("gosc-%d", e.n)
	var devices object.VirtualDeviceList
	for i := 0; i < nics; i++ {
		backing := &types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network"},
		}
		d, err := devices.CreateEthernetCard("vmxnet3", backing)
		if err != nil {
			return nil, err
		}
		card := d.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
		card.Key = int32(-100 - i)
		unit := int32(7 + i)
		card.UnitNumber = &unit
		if i < len(macs) {
			card.AddressType = string(types.VirtualEthernetCardMacTypeManual)
			card.MacAddress = macs[i]
		} else {
			card.AddressType = string(types.VirtualEthernetCardMacTypeGenerated)
		}
		devices = append(devices, d)
	}
	changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return nil, err
	}
	spec := types.VirtualMachineConfigSpec{
		Name:         name,
		GuestId:      string(types.VirtualMachineGuestOsIdentifierOtherGuest),
		Files:        &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s] %s/%s.vmx", e.ds.Name(), name, name)},
		DeviceChange: changes,
	}
	t, err := e.folder.CreateVM(e.ctx, spec, e.pool, nil)
	if err != nil {
		return nil, err
	}
	info, err := t.WaitForResult(e.ctx, nil)
	if err != nil {
		return nil, err
	}
	return object.NewVirtualMachine(e.c.Client, info.Result.(types.ManagedObjectReference)), nil
}

func (e *env) post(body string) (int, string, error) {
	u := e.c.Client.URL()
	req, err := http.NewRequest("POST", u.String(), strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
	req.Header.Set("SOAPAction", "urn:vim25/6.5")
	var code int
	var text string
	err = e.c.Client.Client.Do(e.ctx, req, func(res *http.Response) error {
		code = res.StatusCode
		b, rerr := ioutil.ReadAll(res.Body)
		text = string(b)
		return rerr
	})
	return code, text, err
}

func (e *env) run(file string, nics int, macs []string) result {
	r := result{File: file, NicsInVM: nics, GuestNet: []nicResult{}}
	body, err := ioutil.ReadFile(file)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	vm, err := e.createVM(nics, macs)
	if err != nil {
		r.Error = "create VM: " + err.Error()
		return r
	}
	r.VM = vm.Reference().Value
	req := strings.Replace(string(body), "${vm-moref}", vm.Reference().Value, -1)
	code, resp, err := e.post(req)
	r.HTTP = code
	if err != nil {
		r.Error = "POST: " + err.Error()
		return r
	}
	m := returnval.FindStringSubmatch(resp)
	if m == nil {
		r.State = "soapFault"
		if f := faultstring.FindStringSubmatch(resp); f != nil {
			r.Detail = f[1]
		} else {
			r.Detail = resp
		}
		return r
	}
	t := object.NewTask(e.c.Client, types.ManagedObjectReference{Type: "Task", Value: m[1]})
	_, err = t.WaitForResult(e.ctx, nil)
	if err != nil {
		r.State = "error"
		if te, ok := err.(task.Error); ok {
			fault := te.Fault()
			r.Fault = strings.TrimPrefix(fmt.Sprintf("%T", fault), "*types.")
			if nm, ok := fault.(*types.NicSettingMismatch); ok {
				r.Detail = fmt.Sprintf("numberOfNicsInSpec=%d numberOfNicsInVM=%d", nm.NumberOfNicsInSpec, nm.NumberOfNicsInVM)
			} else {
				r.Detail = te.Error()
			}
		} else {
			r.Detail = err.Error()
		}
		return r
	}
	r.State = "success"
	pt, err := vm.PowerOn(e.ctx)
	if err == nil {
		err = pt.Wait(e.ctx)
	}
	if err != nil {
		r.Error = "power on: " + err.Error()
		return r
	}
	var mvm mo.VirtualMachine
	if err := vm.Properties(e.ctx, vm.Reference(), []string{"guest"}, &mvm); err != nil {
		r.Error = "read guest: " + err.Error()
		return r
	}
	if mvm.Guest != nil {
		r.HostName = mvm.Guest.HostName
		r.IPAddress = mvm.Guest.IpAddress
		for _, n := range mvm.Guest.Net {
			ips := n.IpAddress
			if ips == nil {
				ips = []string{}
			}
			r.GuestNet = append(r.GuestNet, nicResult{Mac: n.MacAddress, IPs: ips})
		}
	}
	return r
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vcsim_gosc MANIFEST")
		os.Exit(2)
	}
	ctx := context.Background()
	model := simulator.VPX()
	model.Machine = 1
	defer model.Remove()
	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "create model:", err)
		os.Exit(1)
	}
	s := model.Service.NewServer()
	defer s.Close()
	c, err := govmomi.NewClient(ctx, s.URL, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "login:", err)
		os.Exit(1)
	}
	finder := find.NewFinder(c.Client, false)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "datacenter:", err)
		os.Exit(1)
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "folders:", err)
		os.Exit(1)
	}
	ds, err := finder.DefaultDatastore(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "datastore:", err)
		os.Exit(1)
	}
	hosts, err := finder.HostSystemList(ctx, "*/*")
	if err != nil || len(hosts) == 0 {
		fmt.Fprintln(os.Stderr, "hosts:", err)
		os.Exit(1)
	}
	pool, err := hosts[0].ResourcePool(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pool:", err)
		os.Exit(1)
	}
	e := &env{ctx: ctx, c: c, folder: folders.VmFolder, pool: pool, ds: ds}

	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	out := json.NewEncoder(os.Stdout)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			continue
		}
		nics, err := strconv.Atoi(parts[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad NIC count:", parts[1])
			os.Exit(2)
		}
		var macs []string
		if parts[2] != "-" {
			macs = strings.Split(parts[2], ",")
		}
		_ = out.Encode(e.run(parts[0], nics, macs))
	}
}
