package syncmgr_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"shiftbot/internal/sheetsemu"
	"shiftbot/internal/store"
)

// TestSoak is a worker, a bot and an admin at work on one spreadsheet while
// Google misbehaves: the bot finishes and edits shifts; the admin sorts the
// tab, inserts blank and note rows, renames employees and deletes shifts,
// also while requests are in flight; requests fail, time out, lose their
// response or are applied late. At the end, with the faults gone, the sheet
// and the database must hold every shift exactly once, each with the
// employee's last edit and the admin's last rename.
//
// make test runs a short, seeded soak; make soak a long one
// (SOAK_CYCLES, SOAK_SEED).
func TestSoak(t *testing.T) {
	cycles, seed := 40, uint64(1)
	if n, err := strconv.Atoi(os.Getenv("SOAK_CYCLES")); err == nil && n > 0 {
		cycles, seed = n, uint64(time.Now().UnixNano())
	}
	if s, err := strconv.ParseUint(os.Getenv("SOAK_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("soak: %d cycles, seed %d", cycles, seed)
	rng := rand.New(rand.NewPCG(seed, 7))

	h := newHarness(t)
	h.client = h.newClient(300 * time.Millisecond)
	h.eng = newEngine(h)
	clock := h.withClock()
	h.cycle()

	made := map[string]string{}    // shift id -> Total made the employee last saved
	renamed := map[string]string{} // shift id -> the admin's last EmployeeName
	deleted := map[string]bool{}
	var ids []string // made's keys, in order: rng picks from them reproducibly
	type held struct {
		release chan struct{}
		since   time.Time // engine clock
	}
	var holds []held
	ctx := context.Background()

	adminAct := func() {
		rows := h.emu.Tab(sheetID, "Shifts")
		switch rng.IntN(5) {
		case 0:
			h.emu.SortRows(sheetID, "Shifts", 2, rng.IntN(6), rng.IntN(2) == 0)
		case 1:
			at := 2 + rng.IntN(max(len(rows)-1, 1))
			h.emu.InsertRows(sheetID, "Shifts", at, 1)
			if rng.IntN(2) == 0 {
				h.emu.Type(sheetID, "Shifts", at, 20, "admin note") // a column of their own
			}
		case 2, 3:
			for i := 1; i < len(rows); i++ {
				j := 1 + rng.IntN(len(rows)-1)
				if len(rows[j]) <= 3 {
					continue
				}
				if id := fmt.Sprint(rows[j][0]); made[id] != "" && !deleted[id] {
					name := fmt.Sprintf("Admin name %d", rng.IntN(1000))
					h.emu.Type(sheetID, "Shifts", j+1, 3, name)
					renamed[id] = name
					return
				}
			}
		case 4:
			// Delete a shift that has reached the sheet and is not being
			// edited locally (a deletion of a row being edited is the
			// documented "deleted locally, values logged" case).
			for range 10 {
				j := 1 + rng.IntN(max(len(rows)-1, 1))
				if j >= len(rows) || len(rows[j]) == 0 {
					continue
				}
				id := fmt.Sprint(rows[j][0])
				if made[id] == "" || deleted[id] {
					continue
				}
				if r, ok := h.local(store.Shifts, id); ok && !r.Pending && r.Base != nil {
					h.emu.DeleteRow(sheetID, "Shifts", j+1)
					deleted[id] = true
					return
				}
			}
		}
	}

	for c := range cycles {
		// The bot: new shifts and edits of existing ones.
		for range 1 + rng.IntN(2) {
			id := h.nextShift(101 + rng.IntN(3))
			made[id] = "160.00"
			ids = append(ids, id)
		}
		for range rng.IntN(4) {
			id := ids[rng.IntN(len(ids))]
			if !deleted[id] {
				v := fmt.Sprintf("%d.00", 100+rng.IntN(900))
				h.botWrite(store.Shifts, store.Values{store.ID: id, store.TotalMade: v})
				made[id] = v
			}
		}
		// The admin, between requests.
		if rng.IntN(2) == 0 {
			adminAct()
		}
		// Google, and the admin during a request.
		op := []string{"batchUpdate", "append", "batchGet"}[rng.IntN(3)]
		switch rng.IntN(7) {
		case 0:
			h.emu.InjectFault(sheetsemu.Fault{Op: op, Status: 503, Before: adminAct})
		case 1:
			h.emu.InjectFault(sheetsemu.Fault{Op: op, Before: adminAct})
		case 2:
			h.emu.InjectFault(sheetsemu.Fault{Op: "append", DropResponse: true})
		case 3:
			hold := held{make(chan struct{}), clock.now()}
			holds = append(holds, hold)
			h.emu.InjectFault(sheetsemu.Fault{Op: op, Hold: hold.release, Times: 4})
		}
		// Held requests are applied late, a few cycles on, but as Google
		// does: within 180 s of being sent.
		for len(holds) > 0 && (rng.IntN(3) == 0 || clock.now().Sub(holds[0].since) > 150*time.Second) {
			close(holds[0].release)
			holds = holds[1:]
			time.Sleep(20 * time.Millisecond) // let the handlers apply them
		}
		clock.advance(time.Duration(5+rng.IntN(60)) * time.Second)
		if _, err := h.eng.SyncOnce(ctx); err != nil {
			t.Logf("cycle %d: %v", c, err)
		}
	}

	// Quiet: every held request lands, faults stop, time passes.
	for _, hold := range holds {
		close(hold.release)
	}
	h.emu.ClearFaults()
	time.Sleep(100 * time.Millisecond)
	for range 4 {
		clock.advance(10 * time.Minute)
		h.cycle()
	}

	sheet := byID(t, h.sheet("Shifts")) // fails on a duplicate id
	for id, total := range made {
		r, local := h.local(store.Shifts, id)
		row, inSheet := sheet[id]
		switch {
		case deleted[id]:
			if local || inSheet {
				t.Errorf("shift %s deleted by the admin: local %v, in the sheet %v", id, local, inSheet)
			}
			continue
		case !local || !inSheet:
			t.Errorf("shift %s lost: local %v, in the sheet %v", id, local, inSheet)
			continue
		case r.Pending:
			t.Errorf("shift %s still pending after the quiet cycles", id)
		}
		if row[colTotalMade] != total || r.Values[store.TotalMade] != total {
			t.Errorf("shift %s Total made: sheet %q, local %q, want the employee's %q", id, row[colTotalMade], r.Values[store.TotalMade], total)
		}
		if want := renamed[id]; want != "" && (row[3] != want || r.Values[store.EmployeeName] != want) {
			t.Errorf("shift %s EmployeeName: sheet %q, local %q, want the admin's %q", id, row[3], r.Values[store.EmployeeName], want)
		}
	}
	all, _ := h.db.AllRows(ctx, store.Shifts)
	for _, r := range all {
		id := r.Values[store.ID]
		if _, ok := sheet[id]; !ok {
			t.Errorf("local shift %s is not in the sheet", id)
		}
	}
	if len(all) != len(sheet) {
		t.Errorf("%d shifts locally, %d in the sheet", len(all), len(sheet))
	}
	if t.Failed() {
		t.Logf("seed %d; logs:\n%s", seed, h.logs)
	}
}
