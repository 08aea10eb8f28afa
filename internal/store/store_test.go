package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"shiftbot/internal/store"
)

func openDB(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenCreatesPrivateFileAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "reference_data.db")
	db := openDB(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("database file mode %v is readable by others", fi.Mode().Perm())
	}
	// A second open (the other daemon) applies nothing again.
	db2 := openDB(t, path)
	var n int
	if err := db2.Read().QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	var want int
	entries, _ := filepath.Glob("migrations/*.sql")
	want = len(entries)
	if n != want {
		t.Errorf("schema_migrations has %d rows, want %d", n, want)
	}
	_ = db
}

func TestRowRoundTripKeepsProductsAsCells(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	in := store.Row{
		Values:  store.Values{"id": "7", "employee_id": "42", "date": "2026/11/28 17:00:00", "products:Model A": "500.00", "products:Model B": "12.50"},
		Base:    store.Values{"id": "7", "products:Model A": "400.00"},
		Pending: true,
	}
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.PutRow(ctx, store.Shifts, in) })
	if err != nil {
		t.Fatal(err)
	}
	var got store.Row
	err = db.Update(ctx, func(tx *store.Tx) error {
		var ok bool
		got, ok, err = tx.GetRow(ctx, store.Shifts, "7")
		if !ok {
			return fmt.Errorf("row 7 not found")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if store.Encode(got.Values) != store.Encode(in.Values) || store.Encode(got.Base) != store.Encode(in.Base) || !got.Pending || got.Sent != nil {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
	}
	pend, err := db.PendingRows(ctx, store.Shifts)
	if err != nil || len(pend) != 1 {
		t.Fatalf("pending rows = %d, %v; want 1", len(pend), err)
	}
	n, oldest, err := db.PendingCount(ctx)
	if err != nil || n != 1 || oldest.IsZero() {
		t.Errorf("PendingCount = %d, %v, %v", n, oldest, err)
	}
}

func TestCompoundKey(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	v := store.Values{"employee_id": "5", "year": "2026", "month": "11", "current_rank": "Closer"}
	key := store.EmployeeRanks.KeyOf(v)
	if key != "5|2026|11" {
		t.Fatalf("key = %q", key)
	}
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutRow(ctx, store.EmployeeRanks, store.Row{Values: v}); err != nil {
			return err
		}
		got, ok, err := tx.GetRow(ctx, store.EmployeeRanks, key)
		if err != nil || !ok || got.Values["current_rank"] != "Closer" {
			return fmt.Errorf("get %s: %v %v %v", key, got, ok, err)
		}
		if err := tx.DeleteRow(ctx, store.EmployeeRanks, key); err != nil {
			return err
		}
		_, ok, err = tx.GetRow(ctx, store.EmployeeRanks, key)
		if ok || err != nil {
			return fmt.Errorf("after delete: %v %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two handles on one file stand for the two daemons: writers that read then
// write must queue, never fail with "database is locked".
func TestTwoWritersNeverSeeLocked(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	a, b := openDB(t, path), openDB(t, path)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w, db := range []*store.DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				err := db.Update(ctx, func(tx *store.Tx) error {
					var max int
					if err := tx.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM shifts").Scan(&max); err != nil {
						return err
					}
					return tx.PutRow(ctx, store.Shifts, store.Row{Values: store.Values{"id": fmt.Sprint(max + 1), "employee_name": fmt.Sprintf("w%d-%d", w, i)}, Pending: true})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
			t.Fatalf("lock error: %v", err)
		}
		t.Fatal(err)
	}
	var n int
	if err := a.Read().QueryRow("SELECT count(*) FROM shifts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 400 {
		t.Errorf("rows = %d, want 400 (no id allocated twice)", n)
	}
}

func TestWritingAFieldTheTableDoesNotHaveIsAnError(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "reference_data.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutRow(ctx, store.EmployeeSettings, store.Row{Values: store.Values{store.EmployeeID: "7", store.TotalMade: "1.00"}, Pending: true})
	})
	if err == nil || !strings.Contains(err.Error(), `no field "total_made"`) {
		t.Errorf("writing total_made into employee_settings: %v, want an error naming the field", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutRow(ctx, store.Shifts, store.Row{Values: store.Values{store.ID: "1", store.ProductField("Model Z"): "5.00"}, Pending: true})
	})
	if err != nil {
		t.Errorf("a product field of a shift: %v", err)
	}
}
