package deploy

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A Debian bookworm tree booted with systemd-nspawn -b: systemd as PID 1,
// for make systemd-test. This machine's own PID 1 is not systemd, so there
// is no machined and no host bus: machinectl and systemd-run -M cannot reach
// the container. Commands enter its namespaces with nsenter instead and talk
// to the container's own systemd, which is what they would do on the Pi.

// rootfsPackages are what the tree holds beyond debootstrap's minbase: what
// Raspberry Pi OS has that the deployment touches (systemd, its NTP client,
// cron for the documented health-check line).
var rootfsPackages = []string{"systemd", "systemd-sysv", "systemd-timesyncd", "dbus", "cron", "procps"}

const rootfsSuite = "bookworm"

// debianMirror reads the Debian mirror apt uses on this host: the first
// URIs: of a deb822 .sources file, or the first "deb" line of sources.list,
// that serves the suite's main archive (not -security or -updates). It is
// read at run time so that no mirror's name is written into the repository.
func debianMirror(sources []string) (string, error) {
	deb822 := regexp.MustCompile(`(?m)^URIs:\s*(\S+)`)
	suites := regexp.MustCompile(`(?m)^Suites:\s*(.*)$`)
	for _, text := range sources {
		// deb822: stanzas separated by blank lines.
		for _, stanza := range regexp.MustCompile(`\n\s*\n`).Split(text, -1) {
			u, s := deb822.FindStringSubmatch(stanza), suites.FindStringSubmatch(stanza)
			if u != nil && s != nil && strings.Contains(" "+s[1]+" ", " "+rootfsSuite+" ") {
				return u[1], nil
			}
		}
		// One-line style: deb [options] URI suite components...
		sc := bufio.NewScanner(strings.NewReader(text))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 3 || f[0] != "deb" {
				continue
			}
			f = f[1:]
			if strings.HasPrefix(f[0], "[") {
				for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
					f = f[1:]
				}
				f = f[1:]
			}
			if len(f) >= 2 && f[1] == rootfsSuite {
				return f[0], nil
			}
		}
	}
	return "", fmt.Errorf("no apt source serves Debian %s", rootfsSuite)
}

// hostSources is the text of the host's apt source files.
func hostSources() []string {
	var out []string
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	files = append(files, "/etc/apt/sources.list")
	more, _ := filepath.Glob("/etc/apt/sources.list.d/*.list")
	for _, f := range append(files, more...) {
		if data, err := os.ReadFile(f); err == nil {
			out = append(out, string(data))
		}
	}
	return out
}

// rootfs returns the cached tree, making it with debootstrap when missing.
// The directory's name carries a hash of what goes into it, so a change of
// the package list makes a new one.
func rootfs(t *testing.T, cache string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(rootfsSuite + " minbase " + strings.Join(rootfsPackages, ",")))
	dir := filepath.Join(cache, "rootfs-"+rootfsSuite+"-"+hex.EncodeToString(sum[:4]))
	if _, err := os.Stat(filepath.Join(dir, "usr/lib/systemd/systemd")); err == nil {
		t.Logf("rootfs: cached %s", dir)
		return dir
	}
	mirror, err := debianMirror(hostSources())
	if err != nil {
		t.Fatal(err)
	}
	tmp := dir + ".partial"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("debootstrap", "--variant=minbase", "--include="+strings.Join(rootfsPackages, ","), rootfsSuite, tmp, mirror)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("debootstrap: %v\n%s", err, tail(string(out), 30))
	}
	// The tree boots as a container: no getty on a console nobody reads.
	os.Remove(filepath.Join(tmp, "etc/systemd/system/getty.target.wants/getty@tty1.service"))
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("rootfs: made %s with debootstrap in %s", dir, time.Since(start).Round(time.Second))
	return dir
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// container is a booted systemd-nspawn container.
type container struct {
	t      *testing.T
	name   string
	leader int // the container's PID 1, as the host sees it
	nspawn *exec.Cmd
	log    string // its console
}

// boot starts systemd-nspawn -b on the tree with --volatile=overlay (the
// cached tree is never written: every change lands in a tmpfs above it) and
// binds stage read-only at /opt/alex12060. It shares the host's network, so
// the emulators on the host's loopback are the container's loopback too.
func boot(t *testing.T, tree, stage string) *container {
	t.Helper()
	c := &container{t: t, name: fmt.Sprintf("shiftbot-st-%d", os.Getpid()), log: filepath.Join(t.TempDir(), "console.log")}
	console, err := os.Create(c.log)
	if err != nil {
		t.Fatal(err)
	}
	c.nspawn = exec.Command("systemd-nspawn", "--quiet", "--directory="+tree, "--machine="+c.name,
		// No machined on this host: do not register, and stay in the
		// caller's cgroup instead of asking the host's systemd for a scope.
		"--register=no", "--keep-unit",
		"--volatile=overlay", "--console=read-only",
		"--bind-ro="+stage+":/opt/alex12060", "--boot")
	c.nspawn.Stdout, c.nspawn.Stderr = console, console
	// Its own process group, so that signals meant for the test do not reach
	// it. (No Pdeathsig: Go delivers it when the starting OS thread exits,
	// which may be long before the test ends.)
	c.nspawn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.nspawn.Start(); err != nil {
		t.Fatal(err)
	}
	console.Close()
	t.Cleanup(c.stop)
	deadline := time.Now().Add(60 * time.Second)
	for c.leader == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the container did not start:\n%s", c.console())
		}
		time.Sleep(100 * time.Millisecond)
		c.leader = containerInit(c.nspawn.Process.Pid)
	}
	// Until systemd listens, systemctl cannot connect; then --wait waits
	// for the end of the boot.
	var state string
	for state != "running" && state != "degraded" {
		if time.Now().After(deadline) {
			t.Fatalf("container's systemd: %q\n%s", state, c.console())
		}
		out, _ := c.exec(60*time.Second, "", "systemctl", "is-system-running", "--wait")
		state = strings.TrimSpace(out)
		time.Sleep(200 * time.Millisecond)
	}
	if failed, _ := c.exec(10*time.Second, "", "systemctl", "--failed", "--no-legend", "--plain"); strings.TrimSpace(failed) != "" {
		t.Logf("units failed at boot (not ours):\n%s", failed)
	}
	return c
}

// containerInit finds the child of nspawn that is PID 1 of its own PID
// namespace.
func containerInit(nspawn int) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/status")
	for _, d := range dirs {
		data, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		var ppid int
		var nspid []string
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "PPid:"); ok {
				ppid, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(l, "NSpid:"); ok {
				nspid = strings.Fields(v)
			}
		}
		if ppid == nspawn && len(nspid) == 2 && nspid[1] == "1" {
			pid, _ := strconv.Atoi(nspid[0])
			return pid
		}
	}
	return 0
}

func (c *container) console() string {
	data, _ := os.ReadFile(c.log)
	return tail(string(data), 40)
}

func (c *container) stop() {
	if c.nspawn.Process == nil {
		return
	}
	// poweroff lets systemd stop everything; nspawn exits when it is done.
	if c.leader != 0 {
		c.exec(5*time.Second, "", "systemctl", "poweroff", "--no-block")
	}
	done := make(chan struct{})
	go func() { c.nspawn.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		// Killing the container's PID 1 kills everything in its PID
		// namespace; nspawn then exits.
		if c.leader != 0 {
			syscall.Kill(c.leader, syscall.SIGKILL)
		}
		syscall.Kill(-c.nspawn.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// exec runs a command in the container, with stdin, and returns its combined
// output. The environment is a clean one, as a root shell there has.
func (c *container) exec(limit time.Duration, stdin string, args ...string) (string, error) {
	full := append([]string{"--target=" + strconv.Itoa(c.leader), "--all", "--root", "--wd", "--",
		"env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root"}, args...)
	cmd := exec.Command("nsenter", full...)
	// A process group of its own: a "kill 0" in a script must not reach the
	// test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("%s: no answer within %s", strings.Join(args, " "), limit)
	}
}

// sh runs a shell script in the container and fails the test if it fails.
func (c *container) sh(script string) string {
	c.t.Helper()
	out, err := c.exec(2*time.Minute, "", "sh", "-c", script)
	if err != nil {
		c.t.Fatalf("in the container: %s: %v\n%s", script, err, out)
	}
	return out
}

// try runs a shell script and returns its output and exit status.
func (c *container) try(script string) (string, int) {
	c.t.Helper()
	out, err := c.exec(2*time.Minute, "", "sh", "-c", script)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out, ee.ExitCode()
	case err != nil:
		c.t.Fatalf("in the container: %s: %v\n%s", script, err, out)
	}
	return out, 0
}

// write puts content at path in the container with mode and owner.
func (c *container) write(path, mode, owner, content string) {
	c.t.Helper()
	script := fmt.Sprintf(`set -e; mkdir -p "$(dirname %[1]q)"; cat > %[1]q.tmp; chmod %[2]s %[1]q.tmp; chown %[3]s %[1]q.tmp; mv -f %[1]q.tmp %[1]q`, path, mode, owner)
	if out, err := c.exec(time.Minute, content, "sh", "-c", script); err != nil {
		c.t.Fatalf("write %s: %v\n%s", path, err, out)
	}
}

// show reads properties of a unit (systemctl show).
func (c *container) show(unit string, props ...string) map[string]string {
	c.t.Helper()
	out := c.sh("systemctl show " + unit + " -p " + strings.Join(props, ",") + " --no-pager")
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}
