// vcsim for guestnet's submitter end-to-end tests. Built in GOPATH mode against Debian's
// golang-github-vmware-govmomi-dev (govmomi 0.24.2):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o vcsim_submit main.go
//
// It starts simulator.VPX() on 127.0.0.1 with TLS (its own CA and a leaf certificate for
// 127.0.0.1, so CA verification and thumbprint pinning are both real) and a fixed user and
// password (so a wrong password is InvalidLogin), then prints one JSON line:
//
//	{"url": "https://127.0.0.1:PORT/sdk", "thumbprint": "AB:CD:...", "ca": "/path/ca.pem"}
//
// Extensions to what vcsim 0.24.2 simulates:
//   - -guest-customization registers a VirtualMachineGuestCustomizationManager with
//     CustomizeGuest_Task (vcsim has none) and announces it in the ServiceContent with API
//     7.0.3.0. The method checks what vSphere checks (VM powered on, VMware Tools running,
//     guest credentials, one adapter setting per NIC and known MACs), applies host name and
//     IPs to guest.* as vcsim's own CustomizeVM does at power-on, and posts
//     CustomizationStartedEvent + CustomizationSucceeded.
//   - A VM can be given a question that blocks its next PowerOnVM_Task until AnswerVM
//     (vcsim 0.24.2 has neither).
//
// Then it reads commands, one JSON array of strings per line on stdin, and answers each
// with one JSON object per line on stdout (it plays the guest and the administrator):
//
//	["vm", NAME]                      state of a VM (power, guest.*, extraConfig, tasks...)
//	["power", NAME, "on"|"off"]       PowerOnVM_Task / PowerOffVM_Task
//	["pending", NAME, VALUE]          set config.tools.pendingCustomization
//	["tools", NAME, STATUS, MS?]      guest.toolsRunningStatus now (or STATUS after MS ms,
//	                                  not running until then: an instant clone)
//	["guestid", NAME, ID]             config.guestId
//	["event", NAME, TYPE, MESSAGE?]   post a VM event (CustomizationSucceeded, ...)
//	["gcstatus", NAME, VALUE]         the guest sets guestinfo.gc.status
//	["vapp", NAME, "ID:KEY:USERCONF", ...]  give the VM vApp properties
//	["question", NAME]                next power-on asks a question
//	["expire-sessions"]               terminate every session but the harness's own
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io/ioutil"
	"math/big"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

var (
	guestUser     = flag.String("guest-user", "root", "guest user CustomizeGuest_Task accepts")
	guestPassword = flag.String("guest-password", "guest-pw", "guest password CustomizeGuest_Task accepts")
)

// guestCustomizationManager adds CustomizeGuest_Task, which vcsim 0.24.2 lacks.
type guestCustomizationManager struct {
	mo.VirtualMachineGuestCustomizationManager
}

func vmObject(ref types.ManagedObjectReference) *simulator.VirtualMachine {
	switch v := simulator.Map.Get(ref).(type) {
	case *simulator.VirtualMachine:
		return v
	case *questionVM:
		return &v.VirtualMachine
	}
	return nil
}

func vmEvent(vm *simulator.VirtualMachine, msg string) types.VmEvent {
	return types.VmEvent{Event: types.Event{
		Vm:                   &types.VmEventArgument{Vm: vm.Self, EntityEventArgument: types.EntityEventArgument{Name: vm.Name}},
		FullFormattedMessage: msg,
	}}
}

func (m *guestCustomizationManager) CustomizeGuestTask(ctx *simulator.Context, req *types.CustomizeGuest_Task) soap.HasFault {
	vm := vmObject(req.Vm)
	if vm == nil {
		return &methods.CustomizeGuest_TaskBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.Vm})}
	}
	task := simulator.CreateTask(vm, "customizeGuest", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		var fault types.BaseMethodFault
		ctx.WithLock(vm, func() {
			if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
				fault = &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: vm.Runtime.PowerState}
				return
			}
			if vm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
				fault = &types.ToolsUnavailable{}
				return
			}
			auth, ok := req.Auth.(*types.NamePasswordAuthentication)
			if !ok || auth.Username != *guestUser || auth.Password != *guestPassword {
				fault = &types.InvalidGuestLogin{}
				return
			}
			if len(vm.Guest.Net) != len(req.Spec.NicSettingMap) {
				fault = &types.NicSettingMismatch{NumberOfNicsInSpec: int32(len(req.Spec.NicSettingMap)), NumberOfNicsInVM: int32(len(vm.Guest.Net))}
				return
			}
			for i, s := range req.Spec.NicSettingMap {
				if s.MacAddress != "" && !strings.EqualFold(s.MacAddress, vm.Guest.Net[i].MacAddress) {
					fault = &types.NicSettingMismatch{NumberOfNicsInSpec: int32(len(req.Spec.NicSettingMap)), NumberOfNicsInVM: int32(len(vm.Guest.Net))}
					return
				}
			}
			if lp, ok := req.Spec.Identity.(*types.CustomizationLinuxPrep); ok {
				if n, ok := lp.HostName.(*types.CustomizationFixedName); ok {
					vm.Guest.HostName = n.Name
				}
			}
			addr := ""
			for i, s := range req.Spec.NicSettingMap {
				if ip, ok := s.Adapter.Ip.(*types.CustomizationFixedIp); ok {
					vm.Guest.Net[i].IpAddress = []string{ip.IpAddress}
					if addr == "" {
						addr = ip.IpAddress
					}
				}
			}
			vm.Guest.IpAddress = addr
		})
		if fault != nil {
			return nil, fault
		}
		for _, ev := range []types.BaseEvent{
			&types.CustomizationStartedEvent{CustomizationEvent: types.CustomizationEvent{VmEvent: vmEvent(vm, "Started customization of VM "+vm.Name)}},
			&types.CustomizationSucceeded{CustomizationEvent: types.CustomizationEvent{VmEvent: vmEvent(vm, "Customization of VM "+vm.Name+" succeeded")}},
		} {
			simulator.Map.EventManager().PostEvent(ctx, &types.PostEvent{EventToPost: ev})
		}
		return nil, nil
	})
	return &methods.CustomizeGuest_TaskBody{Res: &types.CustomizeGuest_TaskResponse{Returnval: task.Run()}}
}

// questionVM asks a question on power-on and waits for AnswerVM, as an ESXi host does for
// a VM whose files moved ("I moved it" / "I copied it").
type questionVM struct {
	simulator.VirtualMachine
	answer   chan string
	answered string
}

func (q *questionVM) PowerOnVMTask(ctx *simulator.Context, req *types.PowerOnVM_Task) soap.HasFault {
	label := func(key, l string) types.BaseElementDescription {
		return &types.ElementDescription{Description: types.Description{Label: l, Summary: l}, Key: key}
	}
	q.Runtime.Question = &types.VirtualMachineQuestionInfo{
		Id:   "guestnet-q-1",
		Text: "This virtual machine might have been moved or copied.",
		Choice: types.ChoiceOption{
			ChoiceInfo:   []types.BaseElementDescription{label("0", "Cancel"), label("1", "I Moved It"), label("2", "I Copied It")},
			DefaultIndex: 2,
		},
	}
	task := simulator.CreateTask(q, "powerOn", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		choice := <-q.answer
		if choice == "0" {
			return nil, &types.RequestCanceled{}
		}
		simulator.Map.WithLock(q, func() {
			q.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOn
			q.Summary.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOn
		})
		return nil, nil
	})
	go task.Run()
	return &methods.PowerOnVM_TaskBody{Res: &types.PowerOnVM_TaskResponse{Returnval: task.Self}}
}

func (q *questionVM) AnswerVM(req *types.AnswerVM) soap.HasFault {
	if q.Runtime.Question == nil || q.Runtime.Question.Id != req.QuestionId {
		return &methods.AnswerVMBody{Fault_: simulator.Fault("no such question", &types.InvalidArgument{InvalidProperty: "questionId"})}
	}
	q.Runtime.Question = nil
	q.answered = req.AnswerChoice
	go func() { q.answer <- req.AnswerChoice }()
	return &methods.AnswerVMBody{Res: &types.AnswerVMResponse{}}
}

// taskLog records every task vcsim creates, by VM (the registry has no iterator for
// non-entities, and TaskManager.recentTask keeps only the last 200).
type taskLog struct {
	mu   sync.Mutex
	byVM map[types.ManagedObjectReference][]string
}

func (l *taskLog) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "GuestnetTaskLog", Value: "taskLog"}
}

func (l *taskLog) PutObject(o mo.Reference) {
	if t, ok := o.(*simulator.Task); ok && t.Info.Entity != nil {
		l.mu.Lock()
		l.byVM[*t.Info.Entity] = append(l.byVM[*t.Info.Entity], t.Info.Name)
		l.mu.Unlock()
	}
}

func (l *taskLog) UpdateObject(mo.Reference, []types.PropertyChange) {}

func (l *taskLog) RemoveObject(types.ManagedObjectReference) {}

func (l *taskLog) of(vm types.ManagedObjectReference) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string{}, l.byVM[vm]...)
}

var tasks = &taskLog{byVM: map[types.ManagedObjectReference][]string{}}

type harness struct {
	ctx context.Context
	c   *govmomi.Client
	mu  sync.Mutex
}

func (h *harness) find(name string) (*simulator.VirtualMachine, error) {
	for _, e := range simulator.Map.All("VirtualMachine") {
		if e.Entity().Name == name {
			if vm := vmObject(e.Reference()); vm != nil {
				return vm, nil
			}
		}
	}
	return nil, fmt.Errorf("no VM %q", name)
}

type nic struct {
	Mac string   `json:"mac"`
	IPs []string `json:"ips"`
}

func (h *harness) dump(vm *simulator.VirtualMachine) map[string]interface{} {
	out := map[string]interface{}{}
	simulator.Map.WithLock(vm, func() {
		nets := []nic{}
		for _, n := range vm.Guest.Net {
			ips := n.IpAddress
			if ips == nil {
				ips = []string{}
			}
			nets = append(nets, nic{Mac: n.MacAddress, IPs: ips})
		}
		extra := [][]string{}
		for _, o := range vm.Config.ExtraConfig {
			ov := o.GetOptionValue()
			extra = append(extra, []string{ov.Key, fmt.Sprint(ov.Value)})
		}
		out["moref"] = vm.Self.Value
		out["power"] = string(vm.Runtime.PowerState)
		out["pending"] = vm.Config.Tools.PendingCustomization
		out["hostName"] = vm.Guest.HostName
		out["ipAddress"] = vm.Guest.IpAddress
		out["net"] = nets
		out["extra"] = extra
		out["tools"] = vm.Guest.ToolsRunningStatus
		out["guestId"] = vm.Config.GuestId
		out["question"] = vm.Runtime.Question != nil
		out["uuid"] = vm.Config.Uuid
		out["instanceUuid"] = vm.Config.InstanceUuid
	})
	names := tasks.of(vm.Self)
	out["tasks"] = len(names)
	out["taskNames"] = names
	if q, ok := simulator.Map.Get(vm.Self).(*questionVM); ok {
		out["answered"] = q.answered
	}
	return out
}

func (h *harness) setTools(vm *simulator.VirtualMachine, status string) {
	simulator.Map.WithLock(vm, func() {
		vm.Guest.ToolsRunningStatus = status
		if status == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
			vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		} else {
			vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsNotRunning
		}
	})
}

func (h *harness) postEvent(vm *simulator.VirtualMachine, kind, msg string) error {
	ce := types.CustomizationEvent{VmEvent: vmEvent(vm, msg)}
	var ev types.BaseEvent
	switch kind {
	case "CustomizationStartedEvent":
		ev = &types.CustomizationStartedEvent{CustomizationEvent: ce}
	case "CustomizationSucceeded":
		ev = &types.CustomizationSucceeded{CustomizationEvent: ce}
	case "CustomizationFailed":
		ev = &types.CustomizationFailed{CustomizationEvent: ce, Reason: msg}
	case "CustomizationNetworkSetupFailed":
		ev = &types.CustomizationNetworkSetupFailed{CustomizationFailed: types.CustomizationFailed{CustomizationEvent: ce, Reason: msg}}
	case "VmPoweredOnEvent":
		ev = &types.VmPoweredOnEvent{VmEvent: vmEvent(vm, msg)}
	default:
		return fmt.Errorf("unknown event type %q", kind)
	}
	return event.NewManager(h.c.Client).PostEvent(h.ctx, ev)
}

func (h *harness) run(cmd []string) (map[string]interface{}, error) {
	if len(cmd) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	arg := func(i int) string {
		if i < len(cmd) {
			return cmd[i]
		}
		return ""
	}
	if cmd[0] == "expire-sessions" {
		return h.expireSessions()
	}
	vm, err := h.find(arg(1))
	if err != nil {
		return nil, err
	}
	ovm := object.NewVirtualMachine(h.c.Client, vm.Self)
	switch cmd[0] {
	case "vm":
	case "power":
		var t *object.Task
		if arg(2) == "on" {
			t, err = ovm.PowerOn(h.ctx)
		} else {
			t, err = ovm.PowerOff(h.ctx)
		}
		if err == nil {
			err = t.Wait(h.ctx)
		}
	case "pending":
		simulator.Map.WithLock(vm, func() { vm.Config.Tools.PendingCustomization = arg(2) })
	case "tools":
		if ms, _ := strconv.Atoi(arg(3)); ms > 0 {
			h.setTools(vm, string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning))
			status := arg(2)
			time.AfterFunc(time.Duration(ms)*time.Millisecond, func() { h.setTools(vm, status) })
		} else {
			h.setTools(vm, arg(2))
		}
	case "guestid":
		simulator.Map.WithLock(vm, func() {
			vm.Config.GuestId = arg(2)
			vm.Summary.Config.GuestId = arg(2)
			vm.Guest.GuestId = arg(2)
		})
	case "event":
		err = h.postEvent(vm, arg(2), arg(3))
	case "gcstatus":
		simulator.Map.WithLock(vm, func() {
			for _, o := range vm.Config.ExtraConfig {
				if ov := o.GetOptionValue(); ov.Key == "guestinfo.gc.status" {
					ov.Value = arg(2)
					return
				}
			}
			vm.Config.ExtraConfig = append(vm.Config.ExtraConfig, &types.OptionValue{Key: "guestinfo.gc.status", Value: arg(2)})
		})
	case "vapp":
		cfg := &types.VmConfigInfo{OvfEnvironmentTransport: []string{"com.vmware.guestInfo"}}
		for _, p := range cmd[2:] {
			parts := strings.Split(p, ":")
			if len(parts) != 3 {
				return nil, fmt.Errorf("vapp property %q is not ID:KEY:USERCONF", p)
			}
			key, _ := strconv.Atoi(parts[1])
			uc := parts[2] == "true"
			cfg.Property = append(cfg.Property, types.VAppPropertyInfo{Key: int32(key), Id: parts[0], Type: "string", UserConfigurable: &uc})
		}
		simulator.Map.WithLock(vm, func() { vm.Config.VAppConfig = cfg })
	case "question":
		q := &questionVM{VirtualMachine: *vm, answer: make(chan string, 1)}
		simulator.Map.Put(q)
		vm = &q.VirtualMachine
	default:
		return nil, fmt.Errorf("unknown command %q", cmd[0])
	}
	if err != nil {
		return nil, err
	}
	return h.dump(vm), nil
}

func (h *harness) expireSessions() (map[string]interface{}, error) {
	own, err := h.c.SessionManager.UserSession(h.ctx)
	if err != nil {
		return nil, err
	}
	em := event.NewManager(h.c.Client)
	events, err := em.QueryEvents(h.ctx, types.EventFilterSpec{EventTypeId: []string{"UserLoginSessionEvent"}, MaxCount: 1000})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, e := range events {
		if l, ok := e.(*types.UserLoginSessionEvent); ok && l.SessionId != own.Key {
			if h.c.SessionManager.TerminateSession(h.ctx, []string{l.SessionId}) == nil {
				n++
			}
		}
	}
	return map[string]interface{}{"terminated": n}, nil
}

func certificates(caOut string) (tls.Certificate, string, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "guestnet test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(48 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(48 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	if err := ioutil.WriteFile(caOut, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		return tls.Certificate{}, "", err
	}
	sum := sha256.Sum256(leafDER)
	hex := make([]string, len(sum))
	for i, b := range sum {
		hex[i] = fmt.Sprintf("%02X", b)
	}
	return tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}, strings.Join(hex, ":"), nil
}

func fail(msg string, err error) {
	fmt.Fprintln(os.Stderr, msg+":", err)
	os.Exit(1)
}

func main() {
	machines := flag.Int("machines", 2, "VMs per host and per cluster (VPX: 2 x this)")
	user := flag.String("user", "administrator@vsphere.local", "vCenter user")
	password := flag.String("password", "vc-pw", "vCenter password")
	gc := flag.Bool("guest-customization", false, "add a VirtualMachineGuestCustomizationManager with CustomizeGuest_Task (API 7.0.3.0)")
	caOut := flag.String("ca-out", "ca.pem", "where to write the CA certificate (PEM)")
	trace := flag.String("trace", "", "write every SOAP request and response to this file")
	flag.Parse()

	ctx := context.Background()
	model := simulator.VPX()
	model.Machine = *machines
	defer model.Remove()
	if err := model.Create(); err != nil {
		fail("create model", err)
	}
	simulator.Map.AddHandler(tasks)
	si := simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	if *gc {
		m := &guestCustomizationManager{}
		m.Self = types.ManagedObjectReference{Type: "VirtualMachineGuestCustomizationManager", Value: "GuestCustomizationManager"}
		simulator.Map.Put(m)
		si.Content.GuestCustomizationManager = &m.Self
		si.Content.About.ApiVersion = "7.0.3.0"
	}
	if *trace != "" {
		f, err := os.Create(*trace)
		if err != nil {
			fail("trace", err)
		}
		simulator.Trace = true
		simulator.TraceFile = f
	}
	cert, thumb, err := certificates(*caOut)
	if err != nil {
		fail("certificates", err)
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(*user, *password)}
	s := model.Service.NewServer()
	defer s.Close()

	c, err := govmomi.NewClient(ctx, s.URL, true)
	if err != nil {
		fail("login", err)
	}
	public := *s.URL
	public.User = nil
	hello, _ := json.Marshal(map[string]string{"url": public.String(), "thumbprint": thumb, "ca": *caOut})
	fmt.Println(string(hello))

	h := &harness{ctx: ctx, c: c}
	out := json.NewEncoder(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var cmd []string
		if err := json.Unmarshal(sc.Bytes(), &cmd); err != nil {
			_ = out.Encode(map[string]interface{}{"ok": false, "error": err.Error()})
			continue
		}
		if len(cmd) == 1 && cmd[0] == "quit" {
			break
		}
		h.mu.Lock()
		res, err := h.run(cmd)
		h.mu.Unlock()
		if err != nil {
			_ = out.Encode(map[string]interface{}{"ok": false, "error": err.Error()})
			continue
		}
		res["ok"] = true
		_ = out.Encode(res)
	}
}
