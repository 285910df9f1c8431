--[[ print.lua: Word and PDF output of the nlrstats documents (Quarto filter; HTML is left alone).

* Figures at the width of the text. Quarto sizes a Jupyter figure from its pixels and dpi, so a
  retina PNG of fig-width 7 in printed at about half the text width in typst. Every image gets
  width 100% (of the text width) and no fixed height; its text then scales by
  text width / fig-width, which the documents' fig-width values are chosen for.
* Tables in the document's font. great_tables writes a CSS font stack (system-ui, Segoe UI, ...)
  that a browser resolves but typst does not: each missing family is a warning and the table falls
  back to typst's default. The stack is taken out of the tables' style attributes (Quarto has
  already read the raw HTML into tables when user filters run) and out of raw HTML still left. ]]

local function is_html()
  if quarto ~= nil and quarto.doc ~= nil then return quarto.doc.is_format("html") end
  return FORMAT:match("html") ~= nil
end

function Image(img)
  if is_html() then return nil end
  img.attributes.width = "100%"
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
  if style == nil or not style:find("font-family", 1, true) then return nil end
  el.attributes.style = style:gsub("font%-family:[^;]*;?", "")
  return el
end

function Table(tab)
  if is_html() then return nil end
  return without_font_family(tab)
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
