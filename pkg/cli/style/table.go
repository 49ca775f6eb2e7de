package style

import (
	"strings"
	"unicode/utf8"
)

// Cell is one table cell: its plain text, which sets column widths, and the text shown, which
// may carry colour codes. Keeping both is what keeps columns aligned with colour on.
type Cell struct {
	Plain, Shown string
}

// Text is a cell without colour.
func Text(s string) Cell { return Cell{Plain: s, Shown: s} }

// Cell is s in the tone's colour.
func (p Painter) Cell(t Tone, s string) Cell { return Cell{Plain: s, Shown: p.Paint(t, s)} }

// BoldCell is s in bold.
func (p Painter) BoldCell(s string) Cell { return Cell{Plain: s, Shown: p.Bold(s)} }

// Concat joins cells into one.
func Concat(cells ...Cell) Cell {
	var c Cell
	for _, x := range cells {
		c.Plain += x.Plain
		c.Shown += x.Shown
	}
	return c
}

// JoinCells joins cells with a plain separator.
func JoinCells(cells []Cell, sep string) Cell {
	var c Cell
	for i, x := range cells {
		if i > 0 {
			x = Concat(Text(sep), x)
		}
		c = Concat(c, x)
	}
	return c
}

// Width is the cell's width on screen.
func (c Cell) Width() int { return utf8.RuneCountInString(c.Plain) }

// Table lays out rows in columns separated by at least Gap spaces, measuring the plain text
// and padding before any colour, so that colour never breaks the alignment.
type Table struct {
	Gap  int
	rows [][]Cell
}

// Add appends a row.
func (t *Table) Add(cells ...Cell) { t.rows = append(t.rows, cells) }

// WriteTo writes the rows, the last column unpadded.
func (t *Table) WriteTo(b *strings.Builder) {
	var widths []int
	for _, row := range t.rows {
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], c.Width())
		}
	}
	for _, row := range t.rows {
		var line strings.Builder
		for i, c := range row {
			line.WriteString(c.Shown)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-c.Width()+t.Gap))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}
