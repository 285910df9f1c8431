--[[
quarto.lua: the parts of Quarto's cross-referencing and layout that the
built-in renderer needs, for pandoc >= 3 (Figure blocks).

* Numbers figures (Figure blocks or divs with id fig-*) and tables (divs or
  Table blocks with id tbl-*) in document order; captions get "Figure N: " /
  "Table N: " as Quarto writes them.
* Resolves @fig-x, @tbl-x and @sec-x (pandoc Cite elements) to links
  "Figure N" / "Table N" / "Section N"; [-@fig-x] gives the number only.
  An unknown id prints "?@id" in bold, as Quarto does, and a warning on stderr.
* Callouts (::: {.callout-note|tip|warning|important|caution}) get a header
  with their title (title attribute, first heading, or the type's name).
* .code-fold divs become <details> in HTML and are unwrapped elsewhere.
* Conditional content as Quarto: ::: {.content-visible when-format="html"}
  (or unless-format=...) and .content-hidden keep or drop their blocks for the
  output format ("pdf" covers typst and LaTeX), before anything is numbered.
* Outside HTML, raw HTML blocks holding a <table> (great_tables output) are
  read by pandoc's HTML reader into native tables, as Quarto does, so they
  are real tables in Word and typst.
]]

local is_html = FORMAT:match("html") ~= nil
local is_typst = FORMAT:match("typst") ~= nil

local callout_titles = {
  note = "Note", tip = "Tip", warning = "Warning", important = "Important", caution = "Caution",
}

local numbers = {}      -- id -> number (string)
local kinds = {}        -- id -> "Figure" | "Table" | "Section"
local sec_titles = {}   -- id -> inlines of the heading (for unnumbered sections)
local subfigures = {}   -- id -> true for sub-figures (their caption keeps its "(a)")
local counters = { fig = 0, tbl = 0 }
local number_sections = false

local function prefix_of(id)
  if id == nil then return nil end
  return id:match("^(%a+)%-")
end

-- Turn a raw HTML table into native blocks (for docx / typst).
-- great_tables marks column alignment with classes (gt_left / gt_right / gt_center)
-- on the column headings, which pandoc's HTML reader does not see.
local gt_align = { gt_left = pandoc.AlignLeft, gt_right = pandoc.AlignRight, gt_center = pandoc.AlignCenter }

local function gt_column_alignments(html)
  local aligns = {}
  for attrs in html:gmatch("<th([^>]*)>") do
    local class = attrs:match('class="([^"]*)"')
    if class and class:find("gt_col_heading", 1, true) and not class:find("gt_column_spanner", 1, true) then
      local a = pandoc.AlignDefault
      for word in class:gmatch("%S+") do
        if gt_align[word] then a = gt_align[word] end
      end
      table.insert(aligns, a)
    end
  end
  return aligns
end

local function html_table_blocks(raw)
  local ok, doc = pcall(pandoc.read, raw.text, "html")
  if not ok then return nil end
  local tables = pandoc.List()
  doc.blocks:walk({ Table = function(t) tables:insert(t) end })
  if #tables == 0 then return nil end
  if #tables == 1 then
    local aligns = gt_column_alignments(raw.text)
    local t = tables[1]
    if #aligns == #t.colspecs then
      for i, spec in ipairs(t.colspecs) do
        t.colspecs[i] = { aligns[i], spec[2] }
      end
    end
  end
  return tables
end

local function caption_inlines(kind, n, inlines)
  local out = pandoc.List({ pandoc.Str(kind), pandoc.Space(), pandoc.Str(n .. ":"), pandoc.Space() })
  out:extend(inlines)
  return out
end

-- First-pass numbering, in document order.
local function number_blocks(blocks)
  local sec_counts = {}
  blocks:walk({
    traverse = "topdown",
    Header = function(h)
      if h.classes:includes("unnumbered") then return nil end
      sec_counts[h.level] = (sec_counts[h.level] or 0) + 1
      for l = h.level + 1, 6 do sec_counts[l] = nil end
      if prefix_of(h.identifier) == "sec" then
        local parts = {}
        for l = 1, h.level do table.insert(parts, tostring(sec_counts[l] or 0)) end
        -- drop leading zeros when a document starts at level 2
        local s = table.concat(parts, "."):gsub("^0%.", ""):gsub("^0%.", "")
        numbers[h.identifier] = s
        kinds[h.identifier] = "Section"
        sec_titles[h.identifier] = h.content
      end
    end,
    Figure = function(f)
      if prefix_of(f.identifier) == "fig" and not numbers[f.identifier] then
        counters.fig = counters.fig + 1
        numbers[f.identifier] = tostring(counters.fig)
        kinds[f.identifier] = "Figure"
      end
    end,
    Div = function(d)
      local p = prefix_of(d.identifier)
      if (p == "fig" or p == "tbl") and not numbers[d.identifier] then
        counters[p] = counters[p] + 1
        numbers[d.identifier] = tostring(counters[p])
        kinds[d.identifier] = (p == "fig") and "Figure" or "Table"
        if p == "fig" then
          -- figures inside a figure float are its sub-figures: "1 (a)", "1 (b)", ...
          local k = 0
          d.content:walk({
            Figure = function(f)
              if prefix_of(f.identifier) == "fig" and not numbers[f.identifier] then
                k = k + 1
                numbers[f.identifier] = numbers[d.identifier] .. " (" .. string.char(96 + k) .. ")"
                kinds[f.identifier] = "Figure"
                subfigures[f.identifier] = true
              end
            end,
          })
        end
      end
    end,
    Table = function(t)
      local id = t.identifier or (t.attr and t.attr.identifier)
      if prefix_of(id) == "tbl" and not numbers[id] then
        counters.tbl = counters.tbl + 1
        numbers[id] = tostring(counters.tbl)
        kinds[id] = "Table"
      end
    end,
  })
end

local function caption_div_inlines(div)
  -- .quarto-caption div -> its inline content
  local inl = pandoc.List()
  for _, b in ipairs(div.content) do
    if b.content and (b.t == "Para" or b.t == "Plain") then
      if #inl > 0 then inl:insert(pandoc.Space()) end
      inl:extend(b.content)
    end
  end
  return inl
end

local function float_div(d)
  local p = prefix_of(d.identifier)
  local n = numbers[d.identifier]
  local kind = kinds[d.identifier]
  local cap = nil
  local body = pandoc.List()
  for _, b in ipairs(d.content) do
    if b.t == "Div" and b.classes:includes("quarto-caption") then
      cap = caption_div_inlines(b)
    else
      body:insert(b)
    end
  end
  if cap == nil and #body > 1 and body[#body].t == "Para" then
    -- Quarto's rule for a float div: its last paragraph is the caption
    cap = body[#body].content
    body:remove(#body)
  end
  local cap_inl = caption_inlines(kind, n, cap or pandoc.List())
  if cap == nil then
    -- Quarto prints just "Table N" when there is no caption text.
    cap_inl = pandoc.List({ pandoc.Str(kind), pandoc.Space(), pandoc.Str(n) })
  end

  if not is_html then
    -- native tables for Word / typst, caption set on the table itself
    local native = pandoc.List()
    local used_caption = false
    for _, b in ipairs(body) do
      if b.t == "RawBlock" and b.format == "html" then
        local tables = html_table_blocks(b)
        if tables then
          for _, t in ipairs(tables) do
            if p == "tbl" and not used_caption then
              t.caption = { long = { pandoc.Plain(cap_inl) } }
              used_caption = true
            end
            native:insert(t)
          end
        end
      elseif b.t == "Table" and p == "tbl" and not used_caption then
        b.caption = { long = { pandoc.Plain(cap_inl) } }
        used_caption = true
        native:insert(b)
      else
        native:insert(b)
      end
    end
    if p == "tbl" and used_caption then
      return pandoc.Div(native, pandoc.Attr(d.identifier, { "quarto-float" }))
    end
    body = native
  end

  local caption_block = pandoc.Div({ pandoc.Plain(cap_inl) },
    pandoc.Attr("", { "quarto-caption", (p == "tbl") and "table-caption" or "figure-caption" },
      is_html and {} or { ["custom-style"] = (p == "tbl") and "Table Caption" or "Image Caption" }))
  local content = pandoc.List()
  if p == "tbl" then
    content:insert(caption_block)
    content:extend(body)
  else
    content:extend(body)
    content:insert(caption_block)
  end
  d.content = content
  return d
end

local function callout(d)
  local ctype = nil
  for _, c in ipairs(d.classes) do
    local t = c:match("^callout%-(%a+)$")
    if t and callout_titles[t] then ctype = t end
  end
  if not ctype then return nil end
  local title = nil
  local content = pandoc.List()
  if d.attributes["title"] then
    title = pandoc.read(d.attributes["title"], "markdown").blocks[1]
    title = title and title.content or pandoc.List({ pandoc.Str(d.attributes["title"]) })
  end
  for i, b in ipairs(d.content) do
    if i == 1 and b.t == "Header" and title == nil then
      title = b.content
    else
      content:insert(b)
    end
  end
  title = title or pandoc.List({ pandoc.Str(callout_titles[ctype]) })
  if is_html then
    local header = pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "callout-header" }))
    local body = pandoc.Div(content, pandoc.Attr("", { "callout-body" }))
    local classes = pandoc.List({ "callout", "callout-" .. ctype })
    return pandoc.Div({ header, body }, pandoc.Attr(d.identifier, classes))
  end
  local blocks = pandoc.List({ pandoc.Para({ pandoc.Strong(title) }) })
  blocks:extend(content)
  return pandoc.BlockQuote(blocks)
end

local function code_fold(d)
  if not is_html then return d.content end
  local summary = d.attributes["summary"] or "Code"
  local open = d.attributes["open"] and " open" or ""
  local esc = summary:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
  local out = pandoc.List({ pandoc.RawBlock("html", '<details class="code-fold"' .. open .. "><summary>" .. esc .. "</summary>") })
  out:extend(d.content)
  out:insert(pandoc.RawBlock("html", "</details>"))
  return out
end

local function resolve_cite(cite)
  local out = pandoc.List()
  local any_xref = false
  for i, c in ipairs(cite.citations) do
    local p = prefix_of(c.id)
    if p == "fig" or p == "tbl" or p == "sec" then any_xref = true end
  end
  if not any_xref then return nil end
  for i, c in ipairs(cite.citations) do
    if i > 1 then out:extend({ pandoc.Str(","), pandoc.Space() }) end
    local n = numbers[c.id]
    if n == nil then
      io.stderr:write("WARNING: unresolved cross-reference @" .. c.id .. "\n")
      out:insert(pandoc.Strong({ pandoc.Str("?@" .. c.id) }))
    else
      local text
      if kinds[c.id] == "Section" and not number_sections then
        text = pandoc.List(sec_titles[c.id])
      elseif c.mode == "SuppressAuthor" then
        text = pandoc.List({ pandoc.Str(n) })
      else
        text = pandoc.List({ pandoc.Str(kinds[c.id]), pandoc.Space(), pandoc.Str(n) })
      end
      if c.prefix and #c.prefix > 0 then
        local pre = pandoc.List(c.prefix)
        pre:insert(pandoc.Space())
        pre:extend(text)
        text = pre
      end
      out:insert(pandoc.Link(text, "#" .. c.id, "", pandoc.Attr("", { "quarto-xref" })))
      if c.suffix and #c.suffix > 0 then out:extend(c.suffix) end
    end
  end
  return out
end

-- typst reads images relative to the .typ file (a temporary directory): make
-- relative paths absolute by looking them up in pandoc's resource path.
local function absolute_image(img)
  local src = img.src
  if src:match("^/") or src:match("^%a[%w+.-]*:") then return nil end
  for _, dir in ipairs(PANDOC_STATE.resource_path or {}) do
    local candidate = dir .. "/" .. src
    local f = io.open(candidate, "rb")
    if f then
      f:close()
      img.src = candidate
      return img
    end
  end
  return nil
end

local format_aliases = { pdf = { "latex", "typst", "beamer" }, html = { "html" }, docx = { "docx" },
  typst = { "typst" }, latex = { "latex" } }

local function format_matches(name)
  for _, writer in ipairs(format_aliases[name] or { name }) do
    if FORMAT:match("^" .. writer) then return true end
  end
  return false
end

local function conditional(d)
  local visible = d.classes:includes("content-visible")
  local hidden = d.classes:includes("content-hidden")
  if not (visible or hidden) then return nil end
  local when, unless = d.attributes["when-format"], d.attributes["unless-format"]
  local matches = true
  if when then matches = format_matches(when) elseif unless then matches = not format_matches(unless) end
  local keep = (visible and matches) or (hidden and not matches)
  if keep then return d.content end
  return {}
end

function Pandoc(doc)
  number_sections = doc.meta["number-sections"] == true
  doc.blocks = doc.blocks:walk({ Div = conditional })
  number_blocks(doc.blocks)

  doc.blocks = doc.blocks:walk({
    Figure = function(f)
      local n = numbers[f.identifier]
      if n and not subfigures[f.identifier] then
        local long = f.caption.long
        if #long > 0 and long[1].content then
          long[1].content = caption_inlines("Figure", n, long[1].content)
        else
          f.caption.long = { pandoc.Plain({ pandoc.Str("Figure"), pandoc.Space(), pandoc.Str(n) }) }
        end
      end
      return f
    end,
    Div = function(d)
      if d.classes:includes("code-fold") then return code_fold(d) end
      local p = prefix_of(d.identifier)
      if (p == "fig" or p == "tbl") and numbers[d.identifier] then return float_div(d) end
      for _, c in ipairs(d.classes) do
        if c:match("^callout%-") then return callout(d) end
      end
      return nil
    end,
    Table = function(t)
      local id = t.identifier or (t.attr and t.attr.identifier)
      local n = numbers[id]
      if n and prefix_of(id) == "tbl" then
        local long = t.caption.long
        local inl = (#long > 0 and long[1].content) or pandoc.List()
        local cap = caption_inlines("Table", n, inl)
        if is_html then
          -- same shape as a table float from a cell: a div with the caption above the table
          -- (a <caption> would wrap at the width of a narrow table)
          t.caption = { long = {} }
          t.identifier = ""
          local caption_block = pandoc.Div({ pandoc.Plain(cap) }, pandoc.Attr("", { "quarto-caption", "table-caption" }))
          return pandoc.Div({ caption_block, t }, pandoc.Attr(id, { "quarto-float", "quarto-float-tbl" }))
        end
        t.caption = { long = { pandoc.Plain(cap) } }
      end
      return t
    end,
    RawBlock = function(r)
      -- uncaptioned great_tables output outside a tbl- div, for Word / typst
      if not is_html and r.format == "html" and r.text:find("<table") then
        local tables = html_table_blocks(r)
        if tables then return tables end
      end
      return nil
    end,
    Cite = resolve_cite,
    Image = function(img)
      if is_typst then return absolute_image(img) end
      return nil
    end,
  })

  if is_typst then
    -- Our captions carry "Figure N:" already; typst must not add its own.
    -- Tables of results are wide: a smaller font keeps long labels inside their cells.
    doc.blocks:insert(1, pandoc.RawBlock("typst", "#set figure(numbering: none)\n#show figure.where(kind: table): set text(size: 0.8em)"))
  end
  return doc
end
