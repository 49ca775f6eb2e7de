package render

import (
	"strings"
	"unicode/utf8"

	"github.com/ramp-dev/ramp/pkg/cli/style"
)

// cell is one table cell: its plain text, which sets column widths, and the text shown, which
// may carry colour codes. Keeping both is what keeps columns aligned with colour on.
type cell struct {
	plain, shown string
}

func text(s string) cell { return cell{plain: s, shown: s} }

func painted(p style.Painter, t style.Tone, s string) cell {
	return cell{plain: s, shown: p.Paint(t, s)}
}

func bold(p style.Painter, s string) cell { return cell{plain: s, shown: p.Bold(s)} }

// concat joins cells into one.
func concat(cells ...cell) cell {
	var c cell
	for _, x := range cells {
		c.plain += x.plain
		c.shown += x.shown
	}
	return c
}

// joinCells joins cells with a plain separator.
func joinCells(cells []cell, sep string) cell {
	var c cell
	for i, x := range cells {
		if i > 0 {
			x = concat(text(sep), x)
		}
		c = concat(c, x)
	}
	return c
}

func (c cell) width() int { return utf8.RuneCountInString(c.plain) }

// table lays out rows in columns separated by at least gap spaces.
type table struct {
	gap  int
	rows [][]cell
}

func (t *table) add(cells ...cell) { t.rows = append(t.rows, cells) }

func (t *table) writeTo(b *strings.Builder) {
	var widths []int
	for _, row := range t.rows {
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], c.width())
		}
	}
	for _, row := range t.rows {
		var line strings.Builder
		for i, c := range row {
			line.WriteString(c.shown)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-c.width()+t.gap))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}
