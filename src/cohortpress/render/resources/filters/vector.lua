--[[
vector.lua: cohortpress's figures in the PDF from their SVG, for both engines' Typst output.

cohortpress draws each figure twice, as a 300 dpi PNG and as an SVG (artefacts/figures/_save.py),
and marks its image `cp-vector`. The PDF sets the SVG: lines and text stay sharp at any zoom, as
in a typeset article, the file is about a third of the size, and typst compiles it quicker than
it re-compresses the PNG. HTML and DOCX keep the PNG. An image not marked, or marked without an
SVG beside it, is set as it is.

The SVG must be a file of the staging folder: the embedded engine lists them in
COHORTPRESS_FILES (as for confine.lua, which checked the PNG); under Quarto, which has no such
list, it must exist.
]]

local LISTED = os.getenv("COHORTPRESS_FILES")
local STAGED = {}
for line in (LISTED or ""):gmatch("[^\n]+") do
  STAGED[line] = true
end

local function staged(path)
  if LISTED ~= nil then
    return STAGED[path] == true
  end
  local file = io.open(path, "rb")
  if file == nil then
    return false
  end
  file:close()
  return true
end

return {
  {
    Image = function(image)
      if not image.classes:includes("cp-vector") then
        return nil
      end
      local svg, swapped = image.src:gsub("%.png$", ".svg")
      if swapped == 1 and staged(svg) then
        image.src = svg
        return image
      end
    end,
  },
}
