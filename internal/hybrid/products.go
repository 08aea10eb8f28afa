package hybrid

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"shiftbot/internal/store"
)

// product is one row of the Products tab as the worker pulled it.
type product struct {
	name   string
	active bool
}

// catalog reads the Products tab's rows in the sheet's order; blank names
// and names typed twice are left out. Empty while the tab was never pulled.
func (s *Service) catalog(ctx context.Context, tx *store.Tx) ([]product, error) {
	rows, err := tx.Query(ctx, sqlCatalog)
	if err != nil {
		return nil, fmt.Errorf("load the product catalog: %w", err)
	}
	defer rows.Close()
	var out []product
	seen := map[string]bool{}
	for rows.Next() {
		var name, active string
		if err := rows.Scan(&name, &active); err != nil {
			return nil, fmt.Errorf("load the product catalog: %w", err)
		}
		name = strings.TrimSpace(name)
		if name == "" || seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		// Only an explicit false hides a product: a blank Active is the
		// optional column left empty.
		out = append(out, product{name: name, active: !strings.EqualFold(strings.TrimSpace(active), "false")})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load the product catalog: %w", err)
	}
	return out, nil
}

// OfferedProducts is the list of products the bot offers for a new shift
// (SPEC §11): the Products tab as the worker last pulled it, in the sheet's
// order, without those whose Active is false; PRODUCTS from the environment
// while the tab has never been pulled. The caller reads it in its
// transaction each time it builds a keyboard, so a product the admin adds
// shows after the worker's next cycle, without a restart.
func (s *Service) OfferedProducts(ctx context.Context, tx *store.Tx) ([]string, error) {
	cat, err := s.catalog(ctx, tx)
	if err != nil {
		return nil, err
	}
	if len(cat) == 0 {
		return s.cfg.Products, nil
	}
	var out []string
	for _, p := range cat {
		if p.active {
			out = append(out, p.name)
		}
	}
	return out, nil
}

// productColumns are the Shifts tab's product columns as the worker lays
// them out: every catalog product, inactive ones included (their columns
// stay, SPEC §11), then those of PRODUCTS the catalog lacks; then any other
// product the shifts sold (a column the admin made), by name.
func (s *Service) productColumns(ctx context.Context, tx *store.Tx, shifts []Shift) ([]string, error) {
	cat, err := s.catalog(ctx, tx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range cat {
		out = append(out, p.name)
	}
	for _, p := range s.cfg.Products {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	var extra []string
	for _, sh := range shifts {
		for _, p := range sh.Products {
			if !slices.Contains(out, p.Product) && !slices.Contains(extra, p.Product) {
				extra = append(extra, p.Product)
			}
		}
	}
	slices.Sort(extra)
	return append(out, extra...), nil
}
