--[[ print.lua: Word and PDF output of the nlrstats documents (Quarto filter; HTML is left alone).

* Figures at the width of the text. Quarto sizes a Jupyter figure from its pixels and dpi, so a
  retina PNG of fig-width 7 in printed at about half the text width in typst. Every image gets
  the text width (100% in typst, 6.2 in in Word) and no fixed height; its text then scales by
  text width / fig-width, which the documents' fig-width values are chosen for (Kaplan-Meier
  figures: fig-width 5.6 in, so the 6.5 pt risk-table numbers print at 7.2 pt or more).
* Tables in the document's font. great_tables writes a CSS font stack (system-ui, Segoe UI, ...)
  that a browser resolves but typst does not: each missing family is a warning and the table falls
  back to typst's default. The stack is taken out of the tables' style attributes (Quarto has
  already read the raw HTML into tables when user filters run) and out of raw HTML still left. ]]

local function is_html()
  if quarto ~= nil and quarto.doc ~= nil then return quarto.doc.is_format("html") end
  return FORMAT:match("html") ~= nil
end

-- Word's text width: 6.2 in fits both Letter with 1 in margins (6.5 in) and A4 with 2.5 cm (6.27 in);
-- pandoc's "100%" in docx is not the page's text width.
function Image(img)
  if is_html() then return nil end
  img.attributes.width = FORMAT:match("docx") and "6.2in" or "100%"
  img.attributes.height = nil
  return img
end

function RawBlock(raw)
  if is_html() or raw.format ~= "html" or not raw.text:find("<table", 1, true) then return nil end
  local text = raw.text:gsub("font%-family:[^;}\"]*;?", "")
  return pandoc.RawBlock("html", text)
end

local function without_font_family(el)
  local style = el.attributes and el.attributes.style
  if style == nil or not (style:find("font-family", 1, true) or style:find("font-size", 1, true)) then return nil end
  -- the size goes too: print.typ sets 9 pt for every table
  el.attributes.style = style:gsub("font%-family:[^;]*;?", ""):gsub("font%-size:[^;]*;?", "")
  return el
end

--[[ Word: column widths from the cells' text. Without them Word and LibreOffice give the stub the
width the HTML asked for in pixels and squeeze the other columns until words break ("Characteri
stic"). Each column's share of the text width is its longest cell (capped at 20 characters, longer
text wraps) but never less than its longest word, so no word is broken and the table spans the
text width. ]]
local function docx_widths(tab)
  local need = {}
  local function visit(rows)
    for _, row in ipairs(rows) do
      local col = 1
      for _, cell in ipairs(row.cells) do
        if cell.col_span == 1 then
          local text = pandoc.utils.stringify(cell.contents)
          local word = 0
          for w in text:gmatch("%S+") do word = math.max(word, utf8.len(w) or #w) end
          local width = math.max(word + 3, math.min(utf8.len(text) or #text, 20))
          need[col] = math.max(need[col] or 4, width)
        end
        col = col + cell.col_span
      end
    end
  end
  visit(tab.head.rows)
  for _, body in ipairs(tab.bodies) do visit(body.head); visit(body.body) end
  local total = 0
  for i = 1, #tab.colspecs do total = total + (need[i] or 4) end
  for i, spec in ipairs(tab.colspecs) do
    tab.colspecs[i] = { spec[1], (need[i] or 4) / total }
  end
  return tab
end

function Table(tab)
  if is_html() then return nil end
  tab = without_font_family(tab) or tab
  -- the stub (row labels) reads from the left margin, as in journals
  if #tab.colspecs > 0 and tab.colspecs[1][1] ~= pandoc.AlignRight then
    tab.colspecs[1] = { pandoc.AlignLeft, tab.colspecs[1][2] }
    local function left(rows)
      for _, row in ipairs(rows) do
        local cell = row.cells[1]
        if cell ~= nil then
          cell.alignment = pandoc.AlignLeft
          -- great_tables' CSS, inlined by Quarto, would put its centring back
          if cell.attributes.style then
            cell.attributes.style = cell.attributes.style:gsub("text%-align:[^;]*;?", "")
          end
          cell.attributes.align = nil
          cell.contents = cell.contents:walk({ Div = function(d)
            d.attributes.align = nil
            if d.attributes.style then d.attributes.style = d.attributes.style:gsub("text%-align:[^;]*;?", "") end
            return d
          end })
        end
      end
    end
    for _, body in ipairs(tab.bodies) do left(body.body) end
  end
  if FORMAT:match("docx") then
    tab = docx_widths(tab)
    -- the other columns centred, as great_tables centres them in HTML (docx_floats.lua keeps Word
    -- from centring the stub as well)
    for i = 2, #tab.colspecs do
      if tab.colspecs[i][1] == pandoc.AlignDefault then tab.colspecs[i] = { pandoc.AlignCenter, tab.colspecs[i][2] } end
    end
  end
  return tab
end

function Div(div)
  if is_html() then return nil end
  return without_font_family(div)
end

--[[ `nlrstats render --date YYYY-MM-DD` (all formats): Quarto resolves `date: today` itself and a
`-M date:` flag does not override it, so nlrstats passes the date as NLRSTATS_DATE and it replaces
the document's date here, written as Quarto writes dates by default ("January 2, 2026"). ]]
local months = { "January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December" }

function Meta(meta)
  local iso = os.getenv("NLRSTATS_DATE")
  if iso == nil then return nil end
  local y, m, d = iso:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if y == nil then return nil end
  meta.date = pandoc.MetaInlines({ pandoc.Str(months[tonumber(m)] .. " " .. tonumber(d) .. ", " .. y) })
  return meta
end
