--[[ docx_floats.lua: Word output only, run after Quarto's own filters (`at: post-render`).

Quarto lays out every captioned table in Word as a one-cell table holding the caption and the
table, with that cell centred (tbl-align defaults to "center"). Word then centres every paragraph
of the nested table too: the cell's alignment is written after each nested cell's own, so the stub
column that print.lua aligns left prints centred (Quarto's docx layout code notes this inheritance
as a likely bug). The wrapper's alignment is reset to the default here, so each nested cell keeps
its own: stub left, numbers as great_tables aligned them. ]]

local function holds_table(tab)
  -- the nested table may sit inside Divs of the cell (Quarto's float and the table's own id)
  local found = false
  local function seek(blocks)
    pandoc.Blocks(blocks):walk({ Table = function(t) found = true; return t end })
  end
  for _, body in ipairs(tab.bodies) do
    for _, row in ipairs(body.body) do
      for _, cell in ipairs(row.cells) do seek(cell.contents) end
    end
  end
  return found
end

function Table(tab)
  if not FORMAT:match("docx") or #tab.colspecs ~= 1 or not holds_table(tab) then return nil end
  tab.colspecs[1] = { pandoc.AlignDefault, tab.colspecs[1][2] }
  for _, body in ipairs(tab.bodies) do
    for _, row in ipairs(body.body) do
      for _, cell in ipairs(row.cells) do cell.alignment = pandoc.AlignDefault end
    end
  end
  return tab
end
