--[[
crossref.lua: Quarto's cross-references for tables and figures.

Tables and figures are numbered separately, each by the order in which the text first cites it
(@tbl-…, @fig-…), as journals number them; floats never cited follow, in document order (the
numbers cohortpress's placement gives the supplement and supplementary.xlsx; Quarto, which
numbers in document order, is stopped beforehand when the two orders differ). Custom kinds
are numbered in document order. Numbering uses Quarto's crossref
options read from the `crossref` metadata (tbl-title, fig-title, tbl-prefix, fig-prefix,
tbl-labels, fig-labels, title-delim, and Quarto 1.4's `custom` float kinds: key,
reference-prefix, caption-prefix, space-before-numbering; each custom kind is numbered on its
own in arabic numerals and set as a figure when it holds an image, else as a table). A caption reads "<title> <number><delim> <caption>", as
Quarto writes it ("Table I. Patients' characteristics"); a reference @tbl-x reads
"<prefix> <number>" and links to the float ([-@tbl-x]: the number only; @Tbl-x: capitalised).

Floats are
  * a div #tbl-… or #fig-…: its last paragraph is the caption, the rest is the content;
  * an image #fig-… alone in its paragraph (a Pandoc figure);
  * a table with a caption ": Caption {#tbl-…}".
A table float becomes a div with the classes cp-float cp-tbl whose first child is a
cp-caption div; a figure float becomes a Pandoc Figure. Output formats style them (docx.lua,
typst.lua, the HTML stylesheet). References to unknown labels, and to kinds of cross-reference
outside the supported subset, stop the render with a message naming them.
]]

local DEFAULTS = {
  tbl = { title = "Table", prefix = "Table" },
  fig = { title = "Figure", prefix = "Figure" },
}
local OTHER_KINDS = {
  sec = true, eq = true, lst = true, thm = true, lem = true, cor = true, prp = true,
  cnj = true, def = true, exm = true, exr = true, tip = true, nte = true, wrn = true,
  imp = true, cau = true,
}
local NBSP = "\u{a0}"

local options = {}
local floats = {}
local counts = { tbl = 0, fig = 0 }
local custom = {} -- key -> { reference = "Table S", caption = "Table S", space = false }

local function read_options(meta)
  options = meta.crossref or {}
  for _, item in ipairs(options.custom or {}) do
    local key = pandoc.utils.stringify(item.key)
    local reference = pandoc.utils.stringify(item["reference-prefix"])
    local caption = item["caption-prefix"] and pandoc.utils.stringify(item["caption-prefix"]) or ""
    if caption == "" then
      caption = reference
    end
    custom[key] = { reference = reference, caption = caption, space = item["space-before-numbering"] ~= false }
    counts[key] = 0
  end
end

local function fail(message)
  error("[cohortpress] " .. message, 0)
end

local function option(key, default)
  local value = options[key]
  if value == nil then
    return default
  end
  return pandoc.utils.stringify(value)
end

--- Quarto's numbering styles: arabic, roman (roman i: lower case), alpha a / alpha A.
local function format_number(n, style)
  if style:match("^roman") then
    local roman = pandoc.utils.to_roman_numeral(n)
    return style:sub(-1) == "i" and roman:lower() or roman
  elseif style:match("^alpha ") then
    return utf8.char(utf8.codepoint(style:sub(-1)) + n - 1)
  end
  return tostring(n)
end

local planned = {} -- tbl/fig id -> its number by first citation

--- Number tables and figures by first citation, then the uncited ones in document order.
local function plan(doc)
  local shown, cited, is_float = { tbl = {}, fig = {} }, {}, {}
  local function float(kind, id)
    if (kind == "tbl" or kind == "fig") and not is_float[id] then
      is_float[id] = kind
      table.insert(shown[kind], id)
    end
  end
  local function labelled(el)
    float(el.identifier:match("^(%a+)%-"), el.identifier)
  end
  doc.blocks:walk({
    traverse = "topdown",
    Div = labelled,
    Figure = labelled,
    Table = labelled,
    Cite = function(cite)
      for _, citation in ipairs(cite.citations) do
        local kind, rest = citation.id:match("^(%a+)(%-.+)$")
        if kind then
          table.insert(cited, kind:lower() .. rest)
        end
      end
    end,
  })
  for kind, ids in pairs(shown) do
    local n = 0
    for _, id in ipairs(cited) do
      if is_float[id] == kind and not planned[id] then
        n = n + 1
        planned[id] = n
      end
    end
    for _, id in ipairs(ids) do
      if not planned[id] then
        n = n + 1
        planned[id] = n
      end
    end
  end
end

local function register(kind, id)
  if floats[id] then
    fail("the label #" .. id .. " is used by two " .. kind .. " elements")
  end
  counts[kind] = counts[kind] + 1
  local style = custom[kind] and "arabic" or option(kind .. "-labels", "arabic")
  local number = format_number(custom[kind] and counts[kind] or planned[id] or counts[kind], style)
  floats[id] = { kind = kind, number = number }
  return number
end

local function captioned(kind, number, caption)
  local label
  if custom[kind] then
    label = custom[kind].caption .. (custom[kind].space and NBSP or "") .. number
  else
    label = option(kind .. "-title", DEFAULTS[kind].title) .. NBSP .. number
  end
  label = label .. option("title-delim", ":")
  local inlines = pandoc.Inlines({ pandoc.Span({ pandoc.Str(label) }, { class = "cp-label" }) })
  if #caption > 0 then
    inlines:insert(pandoc.Space())
    inlines:extend(caption)
  end
  return inlines
end

--- Quarto's rule: the last paragraph of a float div is its caption.
local function split_caption(blocks)
  local last = blocks[#blocks]
  if last and (last.t == "Para" or last.t == "Plain") and #blocks > 1 then
    local content = pandoc.Blocks({ table.unpack(blocks, 1, #blocks - 1) })
    return content, last.content
  end
  return pandoc.Blocks(blocks), pandoc.Inlines({})
end

--- The table float's div; `landscape` (the one decision every format reads, made by
--- cohortpress.render._landscape or written by the author) is kept as a class.
local function table_float(id, content, caption, kind, classes)
  kind = kind or "tbl"
  local number = register(kind, id)
  local head = pandoc.Div({ pandoc.Plain(captioned(kind, number, caption)) }, { class = "cp-caption" })
  content:insert(1, head)
  local class = "cp-float cp-tbl"
  if classes and classes:includes("landscape") then
    class = class .. " landscape"
  end
  return pandoc.Div(content, { id = id, class = class })
end

--- A figure div's content, with an inner Pandoc figure unwrapped to its image.
local function figure_content(blocks)
  local out = pandoc.Blocks({})
  for _, block in ipairs(blocks) do
    if block.t == "Figure" then
      out:extend(block.content)
    else
      out:insert(block)
    end
  end
  return out
end

local function figure_float(id, content, caption, kind)
  kind = kind or "fig"
  local number = register(kind, id)
  local long = { pandoc.Plain(captioned(kind, number, caption)) }
  return pandoc.Figure(content, long, { id = id })
end

local function holds_image(blocks)
  local found = false
  pandoc.Blocks(blocks):walk({ Image = function() found = true end })
  return found
end

local number_floats = {
  traverse = "topdown",
  Div = function(div)
    local kind = div.identifier:match("^(%a+)%-")
    if custom[kind] then
      local content, caption = split_caption(div.content)
      if holds_image(content) then
        return figure_float(div.identifier, figure_content(content), caption, kind), false
      end
      return table_float(div.identifier, content, caption, kind, div.classes), false
    end
    if kind == "tbl" or kind == "fig" then
      local content, caption = split_caption(div.content)
      if kind == "tbl" then
        return table_float(div.identifier, content, caption, nil, div.classes), false
      end
      return figure_float(div.identifier, figure_content(content), caption), false
    end
  end,
  Figure = function(fig)
    local kind = fig.identifier:match("^(%a+)%-")
    if kind == "fig" or custom[kind] then
      local caption = pandoc.utils.blocks_to_inlines(fig.caption.long)
      return figure_float(fig.identifier, fig.content, caption, kind), false
    end
  end,
  Table = function(tbl)
    if tbl.identifier:match("^tbl%-") then
      local caption = pandoc.utils.blocks_to_inlines(tbl.caption.long)
      local id = tbl.identifier
      tbl.caption = pandoc.Caption()
      tbl.identifier = ""
      return table_float(id, pandoc.Blocks({ tbl }), caption), false
    end
  end,
}

local function crossref_kind(id)
  local kind = id:match("^(%a+)%-")
  if kind and (DEFAULTS[kind:lower()] or OTHER_KINDS[kind:lower()] or custom[kind]) then
    return kind
  end
  return nil
end

local function reference(citation)
  local kind = crossref_kind(citation.id)
  local id = kind:lower() .. citation.id:sub(#kind + 1)
  if OTHER_KINDS[kind:lower()] then
    fail("cross-references to '" .. kind:lower() .. "' elements (@" .. citation.id .. ") are not supported; "
      .. "only tables (@tbl-…) and figures (@fig-…)")
  end
  local target = floats[id]
  if target == nil then
    fail("@" .. citation.id .. " refers to no table or figure: nothing has the label #" .. id)
  end
  local text = target.number
  if citation.mode ~= "SuppressAuthor" and custom[kind] then
    text = custom[kind].reference .. (custom[kind].space and NBSP or "") .. text
  elseif citation.mode ~= "SuppressAuthor" then
    local prefix = option(kind:lower() .. "-prefix", DEFAULTS[kind:lower()].prefix)
    if kind:sub(1, 1):match("%u") then
      prefix = prefix:sub(1, 1):upper() .. prefix:sub(2)
    end
    text = prefix .. NBSP .. text
  end
  local inlines = pandoc.Inlines({})
  if #citation.prefix > 0 then
    inlines:extend(citation.prefix)
    inlines:insert(pandoc.Space())
  end
  inlines:insert(pandoc.Link({ pandoc.Str(text) }, "#" .. id))
  inlines:extend(citation.suffix)
  return inlines
end

local resolve_references = {
  Cite = function(cite)
    local crossrefs = 0
    for _, citation in ipairs(cite.citations) do
      if crossref_kind(citation.id) then
        crossrefs = crossrefs + 1
      end
    end
    if crossrefs == 0 then
      return nil
    elseif crossrefs < #cite.citations then
      fail("a citation mixes cross-references and bibliography keys: " .. pandoc.utils.stringify(cite.content))
    end
    local out = pandoc.Inlines({})
    for i, citation in ipairs(cite.citations) do
      if i > 1 then
        out:extend({ pandoc.Str(","), pandoc.Space() })
      end
      out:extend(reference(citation))
    end
    return out
  end,
}

return {
  { Meta = read_options },
  { Pandoc = plan },
  number_floats,
  resolve_references,
}
