--[[
landscape.lua: a sideways table at the end of the section that cites it, as journals' production
sets it.

Run for the PDF and the DOCX (not with `floats-after-references`, which moves every float),
after crossref.lua, which numbered the floats where the author placed them, so numbers and
references are unchanged. A table float marked `landscape` at the top level of the document
(render/_landscape.py's one decision) takes a page of its own in both formats: in the DOCX a
landscape section, which ends the page before it wherever the text stops; in the PDF a float
page, which holds back every float after it. Set at the end of its section (before the next
heading of the same or a higher level), the text and the upright floats of the section fill
the pages before it. Several landscape tables of one section keep their order.

Under Quarto (1.6 and later) the same filter runs for typst and docx at Quarto's `post-quarto`
entry point (render/_quarto.py lists it in the staged _quarto.yml): after Quarto numbered the
floats, before Quarto's own landscape filter. There each turned table float is wrapped in a
Div of classes `landscape` (Quarto's landscape page, with its DOCX page size as `width` and
`height`) and `cp-landscape` (render/_landscape.py's quarto_landscape); that Div is what moves.
]]

local function is_landscape(block)
  if block.t ~= "Div" then
    return false
  end
  local classes = block.classes
  return classes:includes("cp-landscape") -- Quarto: the landscape Div around the float
    or (classes:includes("cp-tbl") and classes:includes("landscape")) -- crossref.lua's float
end

--- Moves each top-level landscape table float before the next heading of at most the level of
--- the heading its section starts with (or to the end of the document).
local function to_section_end(doc)
  local out = pandoc.Blocks({})
  local waiting = pandoc.Blocks({})
  local level = nil -- the level of the heading of the section the waiting tables belong to
  local section = math.huge
  for _, block in ipairs(doc.blocks) do
    if block.t == "Header" then
      if level ~= nil and block.level <= level then
        out:extend(waiting)
        waiting = pandoc.Blocks({})
        level = nil
      end
      section = block.level
    end
    if is_landscape(block) then
      waiting:insert(block)
      if level == nil then
        level = section
      end
    else
      out:insert(block)
    end
  end
  out:extend(waiting)
  doc.blocks = out
  return doc
end

return { { Pandoc = to_section_end } }
