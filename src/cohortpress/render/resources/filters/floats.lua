--[[
floats.lua: tables and figures after the references, as journals ask of a submission.

Run when `floats-after-references: true` (the submission profile), after crossref.lua (which
numbered the floats where the author placed them, so numbers and references are unchanged) and
after citeproc (which filled the #refs div). Every table float (div.cp-tbl) and figure of the
main text moves, in order, to just after the references: after the #refs div if there is one,
else before the first appendix section, else to the end. Floats already after that point
(supplementary tables in an appendix) stay. In PDF and DOCX each moved float starts a new page.
]]

local PAGE_BREAK = {
  typst = pandoc.RawBlock("typst", "#pagebreak()"),
  -- no line number for the break's own empty line (submission layout)
  docx = pandoc.RawBlock("openxml",
    '<w:p><w:pPr><w:suppressLineNumbers/></w:pPr><w:r><w:br w:type="page"/></w:r></w:p>'),
}
-- In the PDF the floats' pages carry no line numbers (submission.typ numbers the text's lines).
local OPEN = { typst = pandoc.RawBlock("typst", "#[\n#set par.line(numbering: none)") }
local CLOSE = { typst = pandoc.RawBlock("typst", "]") }

local function is_float(block)
  return block.t == "Figure" or (block.t == "Div" and block.classes:includes("cp-tbl"))
end

local function is_appendix(block)
  return block.t == "Header" and block.classes:includes("appendix")
end

--- Where the floats go: the index of the block they are inserted before.
local function destination(blocks)
  for i, block in ipairs(blocks) do
    if block.t == "Div" and block.identifier == "refs" then
      return i + 1
    end
  end
  for i, block in ipairs(blocks) do
    if is_appendix(block) then
      return i
    end
  end
  return #blocks + 1
end

--- The moved floats, each on a page of its own (and what follows them on a new page).
local function placed(floats, last)
  local out = pandoc.Blocks({})
  if #floats == 0 then
    return out
  end
  local function add(block) -- nothing to add in HTML: no pages
    if block then
      out:insert(block)
    end
  end
  add(OPEN[FORMAT])
  for _, float in ipairs(floats) do
    add(PAGE_BREAK[FORMAT])
    out:insert(float)
  end
  if not last then
    add(PAGE_BREAK[FORMAT])
  end
  add(CLOSE[FORMAT])
  return out
end

function Pandoc(doc)
  local blocks = doc.blocks
  local stop = destination(blocks)
  local kept, moved = pandoc.Blocks({}), pandoc.Blocks({})
  for i, block in ipairs(blocks) do
    if i == stop then
      kept:extend(placed(moved, false))
      moved = nil
    end
    if moved ~= nil and is_float(block) then
      moved:insert(block)
    else
      kept:insert(block)
    end
  end
  if moved ~= nil then
    kept:extend(placed(moved, true))
  end
  doc.blocks = kept
  return doc
end
